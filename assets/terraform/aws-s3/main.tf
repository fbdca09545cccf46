# S3 bucket for the S3 sink connector plus a dedicated IAM user whose policy covers only this bucket.

resource "random_id" "suffix" {
  byte_length = 4
}

locals {
  bucket_name = "${var.name_prefix}-${random_id.suffix.hex}"
}

resource "aws_s3_bucket" "sink" {
  bucket        = local.bucket_name
  force_destroy = true

  tags = {
    Name = local.bucket_name
  }
}

resource "aws_s3_bucket_public_access_block" "sink" {
  bucket = aws_s3_bucket.sink.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_iam_user" "sink" {
  name          = "${local.bucket_name}-s3-sink"
  path          = "/cdc-workshop/"
  force_destroy = true

  tags = {
    Name = "${local.bucket_name}-s3-sink"
  }
}

# Actions the Confluent Cloud S3 sink connector documents, scoped to this bucket. Listing all
# buckets cannot be scoped to one bucket; it reveals bucket names only.
data "aws_iam_policy_document" "sink" {
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListAllMyBuckets"]
    resources = ["*"]
  }

  statement {
    sid = "Bucket"
    actions = [
      "s3:ListBucket",
      "s3:GetBucketLocation",
      "s3:ListBucketMultipartUploads",
    ]
    resources = [aws_s3_bucket.sink.arn]
  }

  statement {
    sid = "Objects"
    actions = [
      "s3:PutObject",
      "s3:GetObject",
      "s3:PutObjectTagging",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = ["${aws_s3_bucket.sink.arn}/*"]
  }
}

resource "aws_iam_user_policy" "sink" {
  name   = "cdc-workshop-s3-sink"
  user   = aws_iam_user.sink.name
  policy = data.aws_iam_policy_document.sink.json
}

resource "aws_iam_access_key" "sink" {
  user = aws_iam_user.sink.name
}
