# Oracle Database 21c XE in Docker on an Amazon Linux 2023 VM in the default VPC, prepared for the
# Oracle CDC source connector (ARCHIVELOG, supplemental logging, ORDERMGMT sample schema, CDC user).

resource "random_id" "suffix" {
  byte_length = 2
}

# Oracle passwords: alphanumeric (safe in SQL, shell and JDBC URLs) and starting with a letter,
# as the container's own setup uses the SYS password unquoted.
resource "random_password" "sys" {
  length      = 20
  special     = false
  min_upper   = 2
  min_lower   = 2
  min_numeric = 2
}

resource "random_password" "schema" {
  length      = 20
  special     = false
  min_upper   = 2
  min_lower   = 2
  min_numeric = 2
}

resource "random_password" "cdc" {
  length      = 20
  special     = false
  min_upper   = 2
  min_lower   = 2
  min_numeric = 2
}

locals {
  # The setup status page; only the participant's address may read it.
  status_port     = 8008
  name            = "cdc-workshop-oracle-${random_id.suffix.hex}"
  sys_password    = "S${random_password.sys.result}"
  schema_password = "O${random_password.schema.result}"
  cdc_password    = "C${random_password.cdc.result}"

  user_data = templatefile("${path.module}/files/cloud-init.sh.tftpl", {
    status_port      = local.status_port
    oracle_image     = "container-registry.oracle.com/database/express:21.3.0-xe"
    sys_password     = local.sys_password
    schema_password  = local.schema_password
    cdc_password     = local.cdc_password
    sql_archivelog   = file("${path.module}/files/sql/archivelog.sql")
    sql_supplemental = file("${path.module}/files/sql/supplemental.sql")
    sql_status       = file("${path.module}/files/sql/status.sql")
    sql_counts       = file("${path.module}/files/sql/counts.sql")
    sql_cdc_user     = templatefile("${path.module}/files/sql/cdc_user.sql.tftpl", { cdc_password = local.cdc_password })
    sql_schema = join("\n", [
      templatefile("${path.module}/files/sql/schema_user.sql.tftpl", { schema_password = local.schema_password }),
      file("${path.module}/files/sql/tables.sql"),
      file("${path.module}/files/sql/data.sql"),
      file("${path.module}/files/sql/generators.sql"),
    ])
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

resource "aws_security_group" "oracle" {
  name_prefix = "cdc-workshop-oracle-"
  description = "cdc-workshop Oracle VM: SSH and 1521 from the participant, 1521 from Confluent egress"
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
    description = "Oracle listener from the participant and Confluent Cloud egress"
    from_port   = 1521
    to_port     = 1521
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

resource "aws_instance" "oracle" {
  ami                         = data.aws_ami.al2023.id
  instance_type               = var.instance_type
  key_name                    = var.ssh_key_name == "" ? null : var.ssh_key_name
  vpc_security_group_ids      = [aws_security_group.oracle.id]
  associate_public_ip_address = true
  user_data_base64            = base64gzip(local.user_data)
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_size           = 100
    volume_type           = "gp3"
    encrypted             = true
    delete_on_termination = true
  }

  tags = {
    Name = local.name
  }
}
