output "cluster_identifier" {
  description = "Identifier of the Redshift cluster."
  value       = aws_redshift_cluster.this.cluster_identifier
}

output "endpoint_host" {
  description = "DNS name of the cluster (aws.redshift.domain of the sink connector)."
  value       = aws_redshift_cluster.this.dns_name
}

output "port" {
  description = "Port of the cluster (aws.redshift.port)."
  value       = tostring(aws_redshift_cluster.this.port)
}

output "database" {
  description = "Database the sink connector writes to (aws.redshift.database)."
  value       = aws_redshift_cluster.this.database_name
}

output "master_username" {
  description = "Master user of the cluster (aws.redshift.user)."
  value       = local.master_username
}

output "master_password" {
  description = "Password of the master user."
  value       = random_password.master.result
  sensitive   = true
}
