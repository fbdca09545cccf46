# MySQL (Debezium example image, binlog on) and PostgreSQL 16 (logical decoding) in Docker Compose
# on an Amazon Linux 2023 VM in the default VPC, seeded with the workshop's source data.

resource "random_id" "suffix" {
  byte_length = 2
}

# Alphanumeric passwords: safe in SQL literals, YAML, shell and JDBC URLs.
resource "random_password" "mysql_root" {
  length      = 24
  special     = false
  min_upper   = 2
  min_lower   = 2
  min_numeric = 2
}

resource "random_password" "mysql" {
  length      = 24
  special     = false
  min_upper   = 2
  min_lower   = 2
  min_numeric = 2
}

resource "random_password" "mysql_cdc" {
  length      = 24
  special     = false
  min_upper   = 2
  min_lower   = 2
  min_numeric = 2
}

resource "random_password" "postgres" {
  length      = 24
  special     = false
  min_upper   = 2
  min_lower   = 2
  min_numeric = 2
}

locals {
  # The setup status page; only the participant's address may read it.
  status_port       = 8008
  name              = "cdc-workshop-dbs-${random_id.suffix.hex}"
  mysql_user        = "mysqluser"
  mysql_cdc_user    = "debezium"
  mysql_database    = "demo"
  postgres_user     = "postgres"
  postgres_database = "customers"

  compose_file = templatefile("${path.module}/files/docker-compose.yml.tftpl", {
    mysql_image         = "quay.io/debezium/example-mysql:2.7"
    postgres_image      = "quay.io/debezium/postgres:16"
    mysql_root_password = random_password.mysql_root.result
    mysql_user          = local.mysql_user
    mysql_password      = random_password.mysql.result
    postgres_user       = local.postgres_user
    postgres_password   = random_password.postgres.result
    postgres_database   = local.postgres_database
  })

  user_data = templatefile("${path.module}/files/cloud-init.sh.tftpl", {
    status_port         = local.status_port
    compose_version     = "v2.29.7"
    compose_file        = local.compose_file
    mysql_user          = local.mysql_user
    mysql_password      = random_password.mysql.result
    mysql_cdc_user      = local.mysql_cdc_user
    mysql_cdc_password  = random_password.mysql_cdc.result
    postgres_user       = local.postgres_user
    postgres_password   = random_password.postgres.result
    postgres_database   = local.postgres_database
    mysql_accounts_sql  = templatefile("${path.module}/files/mysql/accounts.sql.tftpl", { mysql_cdc_password = random_password.mysql_cdc.result })
    postgres_create_sql = file("${path.module}/files/postgres/01_create_tables.sql")
    postgres_fill_sql   = file("${path.module}/files/postgres/02_fill_tables.sql")
  })
}

data "aws_vpc" "default" {
  default = true
}

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

resource "aws_security_group" "dbs" {
  name_prefix = "cdc-workshop-dbs-"
  description = "cdc-workshop MySQL/PostgreSQL VM: SSH from the participant, 3306/5432 from the participant and Confluent egress"
  vpc_id      = data.aws_vpc.default.id

  ingress {
    description = "SSH from the participant"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.my_ip_cidr]
  }

  ingress {
    description = "Setup status page from the participant"
    from_port   = local.status_port
    to_port     = local.status_port
    protocol    = "tcp"
    cidr_blocks = [var.my_ip_cidr]
  }

  ingress {
    description = "MySQL from the participant and Confluent Cloud egress"
    from_port   = 3306
    to_port     = 3306
    protocol    = "tcp"
    cidr_blocks = distinct(concat([var.my_ip_cidr], var.allowed_cidrs))
  }

  ingress {
    description = "PostgreSQL from the participant and Confluent Cloud egress"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = distinct(concat([var.my_ip_cidr], var.allowed_cidrs))
  }

  egress {
    description = "All outbound (packages, container images)"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Name = local.name
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_instance" "dbs" {
  ami                         = data.aws_ami.al2023.id
  instance_type               = var.instance_type
  key_name                    = var.ssh_key_name == "" ? null : var.ssh_key_name
  vpc_security_group_ids      = [aws_security_group.dbs.id]
  associate_public_ip_address = true
  user_data_base64            = base64gzip(local.user_data)
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_size           = 50
    volume_type           = "gp3"
    encrypted             = true
    delete_on_termination = true
  }

  tags = {
    Name = local.name
  }
}
