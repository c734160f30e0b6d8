# The dispatcher state machine (asl/dispatcher-workflow.json): the daily Dispatch step and
# `senso trigger-batch` start one dispatcher execution with the day's orgs, and its distributed
# Map starts each org's evaluation with startExecution.sync:2, at most `max_concurrency` at
# once. The limit is one setting, var.dispatch_max_concurrency, handed to the step handlers as
# SENSO_DISPATCH_MAX_CONCURRENCY (ecs.tf): Dispatch puts it in the dispatcher's input, and the
# ECS start pacing can read the same value.

locals {
  dispatcher_name = "${local.name}-dispatcher"
  dispatcher_arn  = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.dispatcher_name}"
  dispatcher_definition = templatefile("${path.module}/../../asl/dispatcher-workflow.json", {
    org_state_machine_arn = aws_sfn_state_machine.org_evaluation.arn
  })
  org_executions_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}:*"
}

resource "aws_iam_role" "dispatcher" {
  name               = "${local.name}-dispatcher"
  assume_role_policy = data.aws_iam_policy_document.states_trust.json
}

data "aws_iam_policy_document" "dispatcher" {
  source_policy_documents = [data.aws_iam_policy_document.state_machine_observability.json]

  statement {
    sid       = "StartsOrgEvaluations"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.org_evaluation.arn]
  }

  statement {
    # startExecution.sync polls and, when the dispatcher is stopped, stops the child.
    sid       = "WaitsForOrgEvaluations"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = [local.org_executions_arn]
  }

  statement {
    sid       = "SyncPatternManagedEventRule"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"]
  }

  statement {
    # A distributed Map runs its iterations as child executions of this state machine.
    sid       = "DistributedMapRunsChildExecutions"
    actions   = ["states:StartExecution"]
    resources = [local.dispatcher_arn]
  }

  statement {
    sid       = "DistributedMapWatchesChildExecutions"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = ["arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.dispatcher_name}/*"]
  }
}

resource "aws_iam_role_policy" "dispatcher" {
  name   = "dispatcher"
  role   = aws_iam_role.dispatcher.id
  policy = data.aws_iam_policy_document.dispatcher.json
}

resource "aws_sfn_state_machine" "dispatcher" {
  #checkov:skip=CKV_AWS_285:The input lists org ids and execution names; the logs keep events and errors only, like the org state machine's.
  name       = local.dispatcher_name
  role_arn   = aws_iam_role.dispatcher.arn
  type       = "STANDARD"
  definition = local.dispatcher_definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    level                  = var.sfn_log_level
    include_execution_data = false
  }

  tracing_configuration {
    enabled = var.enable_tracing
  }

  depends_on = [aws_iam_role_policy.dispatcher]
}
