output "organization_id" {
  description = "ID of the Confluent Cloud organization."
  value       = data.confluent_organization.this.id
}

output "environment_id" {
  description = "ID of the workshop environment (env-...)."
  value       = confluent_environment.this.id
}

output "environment_name" {
  description = "Display name of the workshop environment (the Flink catalog name)."
  value       = confluent_environment.this.display_name
}

output "cluster_id" {
  description = "ID of the Basic Kafka cluster (lkc-...)."
  value       = confluent_kafka_cluster.this.id
}

output "cluster_name" {
  description = "Display name of the Kafka cluster (the Flink database name)."
  value       = confluent_kafka_cluster.this.display_name
}

output "bootstrap_endpoint" {
  description = "Kafka bootstrap server as host:port, without the SASL_SSL:// prefix."
  value       = trimprefix(confluent_kafka_cluster.this.bootstrap_endpoint, "SASL_SSL://")
}

output "rest_endpoint" {
  description = "REST endpoint of the Kafka cluster (https://...:443)."
  value       = confluent_kafka_cluster.this.rest_endpoint
}

output "sr_cluster_id" {
  description = "ID of the environment's Schema Registry cluster (lsrc-...)."
  value       = data.confluent_schema_registry_cluster.this.id
}

output "sr_endpoint" {
  description = "REST endpoint of the Schema Registry cluster."
  value       = data.confluent_schema_registry_cluster.this.rest_endpoint
}

output "compute_pool_id" {
  description = "ID of the Flink compute pool (lfcp-...)."
  value       = confluent_flink_compute_pool.this.id
}

output "flink_rest_endpoint" {
  description = "Flink SQL REST endpoint of the cloud region."
  value       = data.confluent_flink_region.this.rest_endpoint
}

output "app_manager_id" {
  description = "ID of the app-manager service account (principal of Flink statements)."
  value       = confluent_service_account.app_manager.id
}

output "connectors_sa_id" {
  description = "ID of the service account the fully-managed connectors run as."
  value       = confluent_service_account.connectors.id
}

output "egress_cidrs" {
  description = "JSON list of the Confluent Cloud KAFKA EGRESS CIDRs of this cloud and region (for database allow-lists)."
  value       = jsonencode(sort(distinct([for ip in data.confluent_ip_addresses.egress.ip_addresses : ip.ip_prefix])))
}

output "app_manager_kafka_key" {
  description = "Kafka API key of the app-manager service account."
  value       = confluent_api_key.app_manager_kafka.id
  sensitive   = true
}

output "app_manager_kafka_secret" {
  description = "Secret of the app-manager Kafka API key."
  value       = confluent_api_key.app_manager_kafka.secret
  sensitive   = true
}

output "sr_key" {
  description = "Schema Registry API key (service account with EnvironmentAdmin)."
  value       = confluent_api_key.sr.id
  sensitive   = true
}

output "sr_secret" {
  description = "Secret of the Schema Registry API key."
  value       = confluent_api_key.sr.secret
  sensitive   = true
}

output "flink_key" {
  description = "Flink API key of the app-manager service account."
  value       = confluent_api_key.flink.id
  sensitive   = true
}

output "flink_secret" {
  description = "Secret of the Flink API key."
  value       = confluent_api_key.flink.secret
  sensitive   = true
}

output "clients_kafka_key" {
  description = "Kafka API key for the participant's own clients."
  value       = confluent_api_key.clients_kafka.id
  sensitive   = true
}

output "clients_kafka_secret" {
  description = "Secret of the clients Kafka API key."
  value       = confluent_api_key.clients_kafka.secret
  sensitive   = true
}

output "connectors_kafka_key" {
  description = "Kafka API key of the connectors service account."
  value       = confluent_api_key.connectors_kafka.id
  sensitive   = true
}

output "connectors_kafka_secret" {
  description = "Secret of the connectors Kafka API key."
  value       = confluent_api_key.connectors_kafka.secret
  sensitive   = true
}
