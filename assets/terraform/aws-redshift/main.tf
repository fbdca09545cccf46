# Single-node Redshift cluster for the Redshift sink connector, placed in the default VPC with a
# security group that is attached to the cluster and allows 5439 only from the allow-list.

resource "random_id" "suffix" {
  byte_length = 2
}

# Redshift rules: 8-64 characters with upper case, lower case and a digit; alphanumeric only, so
# no forbidden character (quote, backslash, slash, @, space) can appear.
resource "random_password" "master" {
  length      = 24
  special     = false
  min_upper   = 2
  min_lower   = 2
  min_numeric = 2
}

locals {
  name            = "cdc-workshop-redshift-${random_id.suffix.hex}"
  master_username = "cdcadmin"
}

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }

  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

resource "aws_redshift_subnet_group" "this" {
  name        = local.name
  description = "cdc-workshop: default-VPC subnets for the Redshift cluster"
  subnet_ids  = data.aws_subnets.default.ids

  tags = {
    Name = local.name
  }
}

resource "aws_security_group" "redshift" {
  name_prefix = "cdc-workshop-redshift-"
  description = "cdc-workshop Redshift: 5439 from the participant and Confluent egress"
  vpc_id      = data.aws_vpc.default.id

  ingress {
    description = "Redshift from the participant and Confluent Cloud egress"
    from_port   = 5439
    to_port     = 5439
    protocol    = "tcp"
    cidr_blocks = distinct(concat([var.my_ip_cidr], var.allowed_cidrs))
  }

  egress {
    description = "All outbound"
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

resource "aws_redshift_cluster" "this" {
  cluster_identifier                  = local.name
  node_type                           = var.node_type
  cluster_type                        = "single-node"
  database_name                       = var.database_name
  master_username                     = local.master_username
  master_password                     = random_password.master.result
  port                                = 5439
  cluster_subnet_group_name           = aws_redshift_subnet_group.this.name
  vpc_security_group_ids              = [aws_security_group.redshift.id]
  publicly_accessible                 = true
  encrypted                           = true
  automated_snapshot_retention_period = 0
  skip_final_snapshot                 = true

  tags = {
    Name = local.name
  }
}
