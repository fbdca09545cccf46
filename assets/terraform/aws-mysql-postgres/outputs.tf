output "instance_id" {
  description = "EC2 instance id of the MySQL/PostgreSQL VM."
  value       = aws_instance.dbs.id
}

output "public_ip" {
  description = "Public IP of the VM (database.hostname of the MySQL and PostgreSQL connectors)."
  value       = aws_instance.dbs.public_ip
}

output "mysql_port" {
  description = "MySQL port."
  value       = "3306"
}

output "postgres_port" {
  description = "PostgreSQL port."
  value       = "5432"
}

output "mysql_user" {
  description = "MySQL application user (owner of the demo database)."
  value       = local.mysql_user
}

output "mysql_cdc_user" {
  description = "MySQL user of the CDC connector (binlog replication privileges)."
  value       = local.mysql_cdc_user
}

output "mysql_database" {
  description = "MySQL database that holds the accounts table."
  value       = local.mysql_database
}

output "postgres_user" {
  description = "PostgreSQL superuser (also used by the CDC connector)."
  value       = local.postgres_user
}

output "postgres_database" {
  description = "PostgreSQL database with the 8 workshop tables."
  value       = local.postgres_database
}

output "ssh_command" {
  description = "SSH command for the VM (empty when no key pair was given)."
  value       = var.ssh_key_name == "" ? "" : "ssh -i ~/.ssh/${var.ssh_key_name}.pem ec2-user@${aws_instance.dbs.public_ip}"
}

output "mysql_password" {
  description = "Password of mysqluser."
  value       = random_password.mysql.result
  sensitive   = true
}

output "mysql_cdc_password" {
  description = "Password of the MySQL CDC user debezium."
  value       = random_password.mysql_cdc.result
  sensitive   = true
}

output "postgres_password" {
  description = "Password of the PostgreSQL user postgres."
  value       = random_password.postgres.result
  sensitive   = true
}

output "status_url" {
  description = "Setup progress page of the VM (readable from the participant's address only); its last line says when the database is ready."
  value       = "http://${aws_instance.dbs.public_ip}:${local.status_port}/status.txt"
}
