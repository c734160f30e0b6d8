# The AWS provider. In real accounts only `region` matters; the endpoint map and the skip flags
# exist so the test suite can point every service at a local moto server (tests/infra).

locals {
  # Every service this stack talks to; an entry in var.aws_endpoints overrides one of them.
  endpoint_services = [
    "cloudwatch", "ec2", "ecr", "ecs", "events", "iam", "kms", "logs",
    "scheduler", "secretsmanager", "sfn", "sns", "ssm", "sts",
  ]
}

provider "aws" {
  region = var.region

  skip_credentials_validation = var.aws_skip_checks
  skip_requesting_account_id  = var.aws_skip_checks
  skip_metadata_api_check     = var.aws_skip_checks

  dynamic "endpoints" {
    for_each = length(var.aws_endpoints) > 0 ? [var.aws_endpoints] : []
    content {
      cloudwatch     = lookup(endpoints.value, "cloudwatch", null)
      ec2            = lookup(endpoints.value, "ec2", null)
      ecr            = lookup(endpoints.value, "ecr", null)
      ecs            = lookup(endpoints.value, "ecs", null)
      events         = lookup(endpoints.value, "events", null)
      iam            = lookup(endpoints.value, "iam", null)
      kms            = lookup(endpoints.value, "kms", null)
      logs           = lookup(endpoints.value, "logs", null)
      scheduler      = lookup(endpoints.value, "scheduler", null)
      secretsmanager = lookup(endpoints.value, "secretsmanager", null)
      sfn            = lookup(endpoints.value, "sfn", null)
      sns            = lookup(endpoints.value, "sns", null)
      ssm            = lookup(endpoints.value, "ssm", null)
      sts            = lookup(endpoints.value, "sts", null)
    }
  }

  default_tags {
    tags = merge(
      {
        Project     = "senso"
        Environment = var.environment
        ManagedBy   = "terraform"
      },
      var.tags,
    )
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name       = "senso-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.region

  # Known before the state machine exists, so the task definition can carry it without a cycle
  # (task definition -> state machine definition -> task definition).
  state_machine_name = "${local.name}-org-evaluation"
  state_machine_arn  = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
}
