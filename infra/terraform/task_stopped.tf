# A step whose ECS task stops before it reports back fails within seconds, not after its
# heartbeat or timeout runs out four times.
#
# `.waitForTaskToken` does not watch the ECS task it started: a task that cannot start (a
# secret without one of its keys, an image that cannot be pulled) or that dies (out of memory,
# Spot interruption) never calls SendTaskFailure. ECS sends an "ECS Task State Change" event for
# every task that stops (ECS developer guide, "Amazon ECS task state change events"); the event
# carries the task's overrides, which hold SENSO_TASK_TOKEN. This rule starts a small Express
# state machine (asl/task-stopped-workflow.json) that sends SendTaskFailure(Senso.TaskStopped)
# with the stop reason for that token. A step that already reported has spent its token and
# AWS answers TaskTimedOut/InvalidToken, which the state machine treats as "nothing to do".

locals {
  task_stopped_name = "${local.name}-task-stopped"
}

resource "aws_iam_role" "task_stopped" {
  name               = local.task_stopped_name
  assume_role_policy = data.aws_iam_policy_document.states_trust.json
}

data "aws_iam_policy_document" "task_stopped" {
  source_policy_documents = [data.aws_iam_policy_document.state_machine_observability.json]

  statement {
    sid       = "FailTheWaitingStep"
    actions   = ["states:SendTaskFailure"]
    resources = [aws_sfn_state_machine.org_evaluation.arn]
  }
}

resource "aws_iam_role_policy" "task_stopped" {
  name   = "fail-stopped-steps"
  role   = aws_iam_role.task_stopped.id
  policy = data.aws_iam_policy_document.task_stopped.json
}

resource "aws_sfn_state_machine" "task_stopped" {
  #checkov:skip=CKV_AWS_285:The input is an ECS event whose overrides hold task tokens; errors are logged without execution data.
  name       = local.task_stopped_name
  role_arn   = aws_iam_role.task_stopped.arn
  type       = "EXPRESS"
  definition = file("${path.module}/../../asl/task-stopped-workflow.json")

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    level                  = "ERROR"
    include_execution_data = false
  }

  tracing_configuration {
    enabled = var.enable_tracing
  }

  depends_on = [aws_iam_role_policy.task_stopped]
}

# --- The rule and the role EventBridge starts the state machine with --------------------------

resource "aws_iam_role" "task_stopped_events" {
  name               = "${local.task_stopped_name}-events"
  assume_role_policy = data.aws_iam_policy_document.events_trust.json
}

data "aws_iam_policy_document" "task_stopped_events" {
  statement {
    sid       = "StartTheTaskStoppedStateMachine"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.task_stopped.arn]
  }
}

resource "aws_iam_role_policy" "task_stopped_events" {
  name   = "start-task-stopped"
  role   = aws_iam_role.task_stopped_events.id
  policy = data.aws_iam_policy_document.task_stopped_events.json
}

resource "aws_cloudwatch_event_rule" "task_stopped" {
  name        = local.task_stopped_name
  description = "Step-handler tasks of this cluster that stopped: fail the step waiting for them."
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn    = [aws_ecs_cluster.main.arn]
      lastStatus    = ["STOPPED"]
      stoppedReason = [{ exists = true }]
    }
  })
}

resource "aws_cloudwatch_event_target" "task_stopped" {
  rule     = aws_cloudwatch_event_rule.task_stopped.name
  arn      = aws_sfn_state_machine.task_stopped.arn
  role_arn = aws_iam_role.task_stopped_events.arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }
}
