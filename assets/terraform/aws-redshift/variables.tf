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
  description = "AWS region of the Redshift cluster; use the region of the Confluent Cloud cluster (for example eu-central-1)."
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
  description = "Public IP of the participant as a /32 CIDR (a.b.c.d/32); allowed to reach Redshift on 5439."
  type        = string

  validation {
    condition     = can(cidrhost(var.my_ip_cidr, 0)) && !endswith(var.my_ip_cidr, "/0")
    error_message = "The my_ip_cidr must be a CIDR such as 203.0.113.7/32, and never a /0."
  }
}

variable "allowed_cidrs" {
  description = "Confluent Cloud egress CIDRs (JSON list) that may reach Redshift on 5439."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0)) && !endswith(c, "/0")])
    error_message = "Every allowed_cidrs entry must be a CIDR, and none may be a /0."
  }
}

variable "node_type" {
  description = "Redshift node type of the single-node cluster (ra3.large is the smallest RA3 node; use ra3.xlplus if the region refuses it)."
  type        = string
  default     = "ra3.large"
}

variable "database_name" {
  description = "Name of the first database created in the cluster."
  type        = string
  default     = "cdcworkshop"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,63}$", var.database_name))
    error_message = "The database_name must start with a lower-case letter and contain only lower-case letters, digits and underscores (at most 64)."
  }
}
