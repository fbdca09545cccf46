output "instance_id" {
  description = "EC2 instance id of the Oracle VM."
  value       = aws_instance.oracle.id
}

output "public_ip" {
  description = "Public IP of the Oracle VM (the connector's oracle.server)."
  value       = aws_instance.oracle.public_ip
}

output "oracle_port" {
  description = "Oracle listener port."
  value       = "1521"
}

output "oracle_service" {
  description = "Service name of the pluggable database that holds the ORDERMGMT schema."
  value       = "XEPDB1"
}

output "cdc_user" {
  description = "Common user the Oracle CDC connector logs in with."
  value       = "C##MYUSER"
}

output "schema_user" {
  description = "Owner of the sample schema in XEPDB1."
  value       = "ordermgmt"
}

output "ssh_command" {
  description = "SSH command for the VM (empty when no key pair was given)."
  value       = var.ssh_key_name == "" ? "" : "ssh -i ~/.ssh/${var.ssh_key_name}.pem ec2-user@${aws_instance.oracle.public_ip}"
}

output "cdc_password" {
  description = "Password of C##MYUSER."
  value       = local.cdc_password
  sensitive   = true
}

output "schema_password" {
  description = "Password of ordermgmt."
  value       = local.schema_password
  sensitive   = true
}

output "sys_password" {
  description = "Password of SYS and SYSTEM (ORACLE_PWD of the container)."
  value       = local.sys_password
  sensitive   = true
}

output "status_url" {
  description = "Setup progress page of the VM (readable from the participant's address only); its last line says when the database is ready."
  value       = "http://${aws_instance.oracle.public_ip}:${local.status_port}/status.txt"
}
