variable "aws_access_key" {
  description = "AWS access key id of the participant's IAM user."
  type        = string
  sensitive   = true
}

variable "aws_secret_key" {
  description = "AWS secret access key of the participant's IAM user."
  type        = string
  sensitive   = true
}

variable "region" {
  description = "AWS region of the VM; use the region of the Confluent Cloud cluster (for example eu-central-1)."
  type        = string
}

variable "owner" {
  description = "E-mail address of the participant; tag cdc-workshop:owner on every resource."
  type        = string
}

variable "expires_on" {
  description = "Date after which the resources may be deleted (for example 2026-09-30); tag cdc-workshop:expires."
  type        = string
}

variable "my_ip_cidr" {
  description = "Public IP of the participant as a /32 CIDR (a.b.c.d/32); allowed to reach SSH, 3306 and 5432."
  type        = string

  validation {
    condition     = can(cidrhost(var.my_ip_cidr, 0)) && !endswith(var.my_ip_cidr, "/0")
    error_message = "The my_ip_cidr must be a CIDR such as 203.0.113.7/32, and never a /0."
  }
}

variable "allowed_cidrs" {
  description = "Confluent Cloud egress CIDRs (JSON list) that may reach MySQL (3306) and PostgreSQL (5432)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0)) && !endswith(c, "/0")])
    error_message = "Every allowed_cidrs entry must be a CIDR, and none may be a /0."
  }
}

variable "ssh_key_name" {
  description = "Name of an existing EC2 key pair in the region for SSH as ec2-user; empty for no key pair."
  type        = string
  default     = ""
}

variable "instance_type" {
  description = "EC2 instance type of the MySQL/PostgreSQL VM."
  type        = string
  default     = "t3.large"
}
