# What an operator's `senso` commands need in this environment, as one managed policy to attach
# to the operators' role or group: trigger, status, redrive, logs, trigger-batch, rollout,
# rollback, env check, and the image half of deploy. (`senso deploy` also runs Terraform, which
# needs the deployer's own, much wider, permissions; they are not granted here.)
#
# tests/infra/test_iam_coverage.py checks every AWS call the commands make in the test suite
# against this document, so an action a command starts to use fails there, not on a real night.

locals {
  state_machine_log_group_arns = [
    aws_cloudwatch_log_group.state_machine.arn,
    "${aws_cloudwatch_log_group.state_machine.arn}:*",
  ]
  handler_log_group_arns = [
    aws_cloudwatch_log_group.handlers.arn,
    "${aws_cloudwatch_log_group.handlers.arn}:*",
  ]
}

data "aws_iam_policy_document" "operator" {
  statement {
    # trigger starts org executions; trigger-batch starts the dispatcher, which starts them.
    sid       = "StartAndListExecutions"
    actions   = ["states:StartExecution", "states:ListExecutions"]
    resources = [aws_sfn_state_machine.org_evaluation.arn, aws_sfn_state_machine.dispatcher.arn]
  }

  statement {
    # Execution-level actions are authorised on the execution ARN (Service Authorization
    # Reference, Step Functions: resource type "execution").
    sid = "InspectStopAndRedriveExecutions"
    actions = [
      "states:DescribeExecution",
      "states:GetExecutionHistory",
      "states:RedriveExecution",
      "states:StopExecution",
    ]
    # trigger-batch on AWS describes the dispatcher execution it starts (or joins) as well.
    resources = [
      local.state_machine_executions_arn,
      "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.dispatcher_name}:*",
    ]
  }

  statement {
    sid = "ReadTheLogs"
    actions = [
      "logs:DescribeLogStreams",
      "logs:FilterLogEvents",
      "logs:GetLogEvents",
      "logs:StartLiveTail",
    ]
    resources = concat(local.handler_log_group_arns, local.state_machine_log_group_arns)
  }

  statement {
    sid       = "ReadAndSetTheRollout"
    actions   = ["ssm:GetParameter", "ssm:GetParameterHistory", "ssm:PutParameter"]
    resources = [aws_ssm_parameter.rollout.arn]
  }

  statement {
    sid       = "CheckTheHandlerSecret"
    actions   = ["secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.handlers.arn]
  }

  statement {
    sid       = "ReadAndToggleTheSchedules"
    actions   = ["scheduler:GetSchedule", "scheduler:UpdateSchedule"]
    resources = [for s in aws_scheduler_schedule.task : s.arn]
  }

  statement {
    # UpdateSchedule sends the whole target again, including the role it runs the task with.
    sid       = "PassTheSchedulerRole"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.scheduler.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["scheduler.amazonaws.com"]
    }
  }

  statement {
    # The registry login token is account-wide: no resource-level permissions, AWS requires "*".
    sid       = "LogInToTheRegistry"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    # DescribeImages: deploy skips an image already pushed; the rest is what `docker push` does.
    sid = "PushTheHandlerImage"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [aws_ecr_repository.handlers.arn]
  }

  statement {
    # Layers are encrypted with the repository's key; ECR uses it on the pusher's behalf.
    sid       = "EncryptImageLayers"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.ecr.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ecr.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_policy" "operator" {
  name        = "${local.name}-operator"
  description = "What the senso CLI needs to operate the ${var.environment} environment."
  policy      = data.aws_iam_policy_document.operator.json
}
