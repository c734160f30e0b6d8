# Ends the state machine cannot catch. When an execution of the org evaluation ends FAILED,
# TIMED_OUT or ABORTED, Step Functions sends "Step Functions Execution Status Change" to the
# default event bus; this rule starts the step-handler task with the `FinalizeExecution` step,
# which marks every batch that execution still drives (pending or running) failed with the
# cause. A batch MarkBatchFailed already recorded, or one that completed, is left alone, so a
# redelivered event changes nothing. The local runtime does the same when an execution ends.

resource "aws_cloudwatch_event_rule" "execution_ended" {
  name        = "${local.name}-execution-ended"
  description = "An org-evaluation execution ended FAILED, TIMED_OUT or ABORTED: no batch may stay running."

  event_pattern = jsonencode({
    source        = ["aws.states"]
    "detail-type" = ["Step Functions Execution Status Change"]
    detail = {
      status          = ["FAILED", "TIMED_OUT", "ABORTED"]
      stateMachineArn = [aws_sfn_state_machine.org_evaluation.arn]
    }
  })
}

resource "aws_cloudwatch_event_target" "finalize_execution" {
  rule     = aws_cloudwatch_event_rule.execution_ended.name
  arn      = aws_ecs_cluster.main.arn
  role_arn = aws_iam_role.execution_events.arn

  ecs_target {
    task_definition_arn = aws_ecs_task_definition.handlers.arn
    launch_type         = "FARGATE"
    task_count          = 1
    propagate_tags      = "TASK_DEFINITION"

    network_configuration {
      subnets          = local.scheduled_task_network.subnets
      security_groups  = local.scheduled_task_network.security_groups
      assign_public_ip = local.scheduled_task_network.assign_public_ip
    }
  }

  # For an ECS target the input is the RunTask `overrides` object: the step name and the two
  # values it needs (an ARN and a status: far below ECS's 8,192-character limit).
  input_transformer {
    input_paths = {
      arn    = "$.detail.executionArn"
      status = "$.detail.status"
    }
    input_template = <<-EOT
      {"containerOverrides": [{"name": "${var.container_name}", "command": ["FinalizeExecution"], "environment": [{"name": "SENSO_EXECUTION_ID", "value": <arn>}, {"name": "SENSO_EXECUTION_STATUS", "value": <status>}]}]}
    EOT
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }
}

data "aws_iam_policy_document" "events_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "execution_events" {
  name               = "${local.name}-execution-events"
  assume_role_policy = data.aws_iam_policy_document.events_trust.json
}

resource "aws_iam_role_policy" "execution_events" {
  name   = "run-finalize-execution-task"
  role   = aws_iam_role.execution_events.id
  policy = data.aws_iam_policy_document.run_step_handler_task.json
}
