output "bucket_name" {
  description = "Name of the S3 bucket for the S3 sink connector (s3.bucket.name)."
  value       = aws_s3_bucket.sink.id
}

output "bucket_arn" {
  description = "ARN of the S3 bucket."
  value       = aws_s3_bucket.sink.arn
}

output "region" {
  description = "AWS region of the bucket (s3.region)."
  value       = var.region
}

output "sink_access_key_id" {
  description = "Access key id of the IAM user of the S3 sink connector."
  value       = aws_iam_access_key.sink.id
  sensitive   = true
}

output "sink_secret_access_key" {
  description = "Secret access key of the IAM user of the S3 sink connector."
  value       = aws_iam_access_key.sink.secret
  sensitive   = true
}
