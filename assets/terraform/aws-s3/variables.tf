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
  description = "AWS region of the bucket; use the region of the Confluent Cloud cluster (the S3 sink writes within its region)."
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

variable "name_prefix" {
  description = "Prefix of the bucket and IAM user names; 8 random hex digits are appended to the bucket name."
  type        = string
  default     = "cdc-workshop"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,40}$", var.name_prefix))
    error_message = "The name_prefix must be 1-41 lower-case letters, digits or hyphens and start with a letter or digit."
  }
}
