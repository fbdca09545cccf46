terraform {
  required_version = ">= 1.4"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region     = var.region
  access_key = var.aws_access_key
  secret_key = var.aws_secret_key

  default_tags {
    tags = {
      "cdc-workshop:owner"   = var.owner
      "cdc-workshop:expires" = var.expires_on
      "cdc-workshop:module"  = "aws-redshift"
    }
  }
}
