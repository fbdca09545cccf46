variable "confluent_cloud_api_key" {
  description = "Confluent Cloud resource-management (Cloud) API key of the participant."
  type        = string
  sensitive   = true
}

variable "confluent_cloud_api_secret" {
  description = "Secret of the Confluent Cloud resource-management API key."
  type        = string
  sensitive   = true
}

variable "cloud" {
  description = "Cloud provider that hosts the Kafka cluster, Schema Registry and Flink pool: AWS, GCP or AZURE."
  type        = string
  default     = "AWS"

  validation {
    condition     = contains(["AWS", "GCP", "AZURE"], var.cloud)
    error_message = "The cloud must be AWS, GCP or AZURE."
  }
}

variable "region" {
  description = "Cloud region of the Kafka cluster and the Flink compute pool, for example eu-central-1."
  type        = string
}

variable "env_name_prefix" {
  description = "Prefix of the environment display name; a 4-hex-digit suffix is appended."
  type        = string
  default     = "cdc-workshop"
}

variable "cluster_name_prefix" {
  description = "Prefix of the Kafka cluster display name; the same 4-hex-digit suffix is appended."
  type        = string
  default     = "cdc_aws_cluster"
}

variable "compute_pool_max_cfu" {
  description = "Maximum CFUs of the Flink compute pool (Confluent accepts 5, 10, 20, 30, 40 or 50)."
  type        = number
  default     = 10

  validation {
    condition     = contains([5, 10, 20, 30, 40, 50], var.compute_pool_max_cfu)
    error_message = "The compute_pool_max_cfu must be one of 5, 10, 20, 30, 40 or 50."
  }
}

variable "owner" {
  description = "E-mail address of the participant; written into the descriptions of service accounts and API keys."
  type        = string
}
