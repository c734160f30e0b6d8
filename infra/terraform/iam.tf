# Roles of the stack, least privilege:
#   state_machine   - Step Functions: run the step-handler task, log, trace
#   task_execution  - ECS agent: pull the image, write the handler logs, read the one secret
#   task            - the handler code: report to its state machine, start executions (dispatcher)
#   scheduler       - EventBridge Scheduler: run the dispatcher / rollback-guard task
#
# "*" resources appear only where the action has no resource-level permissions; each is commented.
# (AWS reference: https://docs.aws.amazon.com/step-functions/latest/dg/ecs-iam.html)

locals {
  # Every revision of the step-handler family, not just the newest: an execution that started
  # before a deploy keeps running the revision in its definition for up to two hours, and old
  # revisions stay registered (skip_destroy in ecs.tf) for exactly that reason.
  task_definition_family_arn = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/${aws_ecs_task_definition.handlers.family}:*"
  cluster_arn                = aws_ecs_cluster.main.arn
  # Tasks of this cluster, whatever their id (unknown before RunTask returns).
  cluster_tasks_arn = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${aws_ecs_cluster.main.name}/*"
  # Every execution of the org-evaluation state machine (their names are only known at start).
  state_machine_executions_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}:*"

  # Only the .sync ECS pattern needs the managed EventBridge rule and StopTask/DescribeTasks;
  # the definition uses .waitForTaskToken everywhere today, for which AWS documents RunTask alone.
  asl_uses_ecs_sync = strcontains(file(local.asl_path), "ecs:runTask.sync")
}

# --- Trust policies ---------------------------------------------------------------------------

data "aws_iam_policy_document" "states_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# What every state machine of the stack needs to log and trace (the org evaluation, the
# dispatcher and the task-stopped state machines source it, so the three cannot drift).
data "aws_iam_policy_document" "state_machine_observability" {
  statement {
    #checkov:skip=CKV_AWS_111:Log delivery actions have no resource-level permissions.
    #checkov:skip=CKV_AWS_356:Log delivery actions have no resource-level permissions.
    sid = "DeliverExecutionLogs"
    # CloudWatch Logs vended delivery (used by Step Functions logging) does not support
    # resource-level permissions for these actions: AWS requires Resource "*".
    actions = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
    ]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.enable_tracing ? [1] : []
    content {
      sid = "SendTraces"
      # X-Ray trace and sampling actions have no resource-level permissions: AWS requires "*".
      actions = [
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
      ]
      resources = ["*"]
    }
  }
}

# --- State machine role -----------------------------------------------------------------------

resource "aws_iam_role" "state_machine" {
  name               = "${local.name}-state-machine"
  assume_role_policy = data.aws_iam_policy_document.states_trust.json
}

# Starting the step-handler task: the state machine and the scheduler may do exactly this.
data "aws_iam_policy_document" "run_step_handler_task" {
  statement {
    sid       = "RunTheStepHandlerTaskOnThisCluster"
    actions   = ["ecs:RunTask"]
    resources = [local.task_definition_family_arn]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [local.cluster_arn]
    }
  }

  statement {
    # PropagateTags=TASK_DEFINITION tags the task at creation, which ECS authorises as TagResource.
    sid       = "TagTheTasksItStarts"
    actions   = ["ecs:TagResource"]
    resources = [local.cluster_tasks_arn]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask"]
    }
  }

  statement {
    sid       = "PassOnlyTheTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.task.arn, aws_iam_role.task_execution.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "state_machine" {
  source_policy_documents = [
    data.aws_iam_policy_document.run_step_handler_task.json,
    data.aws_iam_policy_document.state_machine_observability.json,
  ]

  dynamic "statement" {
    for_each = local.asl_uses_ecs_sync ? [1] : []
    content {
      sid = "SyncPatternStopsAndPollsItsTasks"
      # AWS's generated policy uses "*" because the task id is unknown until RunTask returns;
      # the ARN pattern of this cluster's tasks is narrower and enough.
      actions   = ["ecs:StopTask", "ecs:DescribeTasks"]
      resources = [local.cluster_tasks_arn]
    }
  }

  dynamic "statement" {
    for_each = local.asl_uses_ecs_sync ? [1] : []
    content {
      sid       = "SyncPatternManagedEventRule"
      actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
      resources = ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForECSTaskRule"]
    }
  }
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "run-step-handlers"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

# --- Task execution role (ECS agent) ----------------------------------------------------------

resource "aws_iam_role" "task_execution" {
  name               = "${local.name}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "task_execution" {
  statement {
    sid = "EcrLogin"
    # GetAuthorizationToken is account-wide and has no resource-level permissions: AWS requires "*".
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PullTheHandlerImage"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [aws_ecr_repository.handlers.arn]
  }

  statement {
    sid       = "WriteTheHandlerLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.handlers.arn}:*"]
  }

  statement {
    sid       = "ReadTheHandlerSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.handlers.arn]
  }

  statement {
    sid       = "DecryptTheHandlerSecret"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.secrets.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "task_execution" {
  name   = "start-step-handler"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.task_execution.json
}

# --- Task role (the handler code) -------------------------------------------------------------

resource "aws_iam_role" "task" {
  name               = "${local.name}-step-handler"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid = "ReportToItsStateMachine"
    # Task tokens of a callback (non-activity) task are authorised against the state machine
    # ARN. The IAM reference lists no resource type for SendTask*; AWS's own CDK scopes them to
    # the state machine (grantTaskResponse) after testing that this works for callback tasks.
    actions = [
      "states:SendTaskFailure",
      "states:SendTaskHeartbeat",
      "states:SendTaskSuccess",
    ]
    resources = [aws_sfn_state_machine.org_evaluation.arn]
  }

  statement {
    sid     = "DispatcherStartsExecutions"
    actions = ["states:StartExecution"]
    # The org state machine (Dispatch without a dispatcher) and the dispatcher itself.
    resources = [aws_sfn_state_machine.org_evaluation.arn, local.dispatcher_arn]
  }

  statement {
    # Dispatch plans each org's execution name (the attempt) by looking at today's ones.
    sid       = "DispatcherLooksAtOrgExecutions"
    actions   = ["states:DescribeExecution"]
    resources = [local.org_executions_arn]
  }

  statement {
    # A start that finds its name taken (ExecutionAlreadyExists) describes that execution to
    # decide between "running", "done" and "next attempt". DescribeExecution is authorised on
    # the execution ARN, not the state machine's (Service Authorization Reference, Step
    # Functions: resource type "execution").
    sid       = "DispatcherDescribesItsExecutions"
    actions   = ["states:DescribeExecution"]
    resources = [local.state_machine_executions_arn]
  }

  statement {
    sid       = "DispatcherReadsTheRollout"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.rollout.arn]
  }

  dynamic "statement" {
    for_each = var.rollback_guard_enabled ? [1] : []
    content {
      sid       = "RollbackGuardListsExecutions"
      actions   = ["states:ListExecutions"]
      resources = [aws_sfn_state_machine.org_evaluation.arn]
    }
  }

  dynamic "statement" {
    for_each = var.rollback_guard_enabled ? [1] : []
    content {
      sid       = "RollbackGuardResetsTheRollout"
      actions   = ["ssm:PutParameter"]
      resources = [aws_ssm_parameter.rollout.arn]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "step-handler"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# --- Scheduler role ---------------------------------------------------------------------------

resource "aws_iam_role" "scheduler" {
  name               = "${local.name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust.json
}

data "aws_iam_policy_document" "scheduler" {
  source_policy_documents = [
    data.aws_iam_policy_document.run_step_handler_task.json,
    data.aws_iam_policy_document.state_machine_observability.json,
  ]
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "run-scheduled-tasks"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
