# Log groups of the step handlers and of the state machine, the alarms on failed executions and
# the topic the alarms notify. Logs and the topic share one customer-managed key.

locals {
  handler_log_group_name = "/senso/${var.environment}/step-handlers"
  # Step Functions log delivery writes a resource policy per log group; the /aws/vendedlogs/
  # prefix is the one AWS recommends so those policies do not run into their size limit.
  state_machine_log_group_name = "/aws/vendedlogs/states/${local.state_machine_name}"
}

data "aws_iam_policy_document" "observability_key" {
  #checkov:skip=CKV_AWS_111:Key policy: "*" is this key, not every resource; write actions go to the account root, which only delegates to IAM policies.
  #checkov:skip=CKV_AWS_356:Key policy: a key policy's Resource must be "*" (it means this key).
  statement {
    sid    = "AccountAdministersAndDelegatesToIam"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    actions   = local.kms_account_actions
    resources = ["*"] # in a key policy "*" means this key
  }

  statement {
    sid    = "CloudWatchLogsEncryptsTheseLogGroups"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    resources = ["*"] # in a key policy "*" means this key
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.handler_log_group_name}",
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.state_machine_log_group_name}",
      ]
    }
  }

  statement {
    sid    = "CloudWatchAlarmsPublishToTheEncryptedTopic"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"] # in a key policy "*" means this key
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "observability" {
  description             = "senso ${var.environment}: log groups and alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.observability_key.json
}

resource "aws_kms_alias" "observability" {
  name          = "alias/${local.name}-observability"
  target_key_id = aws_kms_key.observability.key_id
}

resource "aws_cloudwatch_log_group" "handlers" {
  name              = local.handler_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.observability.arn
}

resource "aws_cloudwatch_log_group" "state_machine" {
  name              = local.state_machine_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.observability.arn
}

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = aws_kms_key.observability.arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == null ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  # Step Functions execution metrics that mean an org's evaluation did not happen.
  execution_alarms = var.enable_alarms ? {
    failed    = { metric = "ExecutionsFailed", what = "failed" }
    timed-out = { metric = "ExecutionsTimedOut", what = "timed out" }
    throttled = { metric = "ExecutionThrottled", what = "were throttled" }
  } : {}
}

resource "aws_cloudwatch_metric_alarm" "executions" {
  for_each = local.execution_alarms

  alarm_name          = "${local.state_machine_name}-executions-${each.key}"
  alarm_description   = "Executions of ${local.state_machine_name} ${each.value.what} in the last 5 minutes."
  namespace           = "AWS/States"
  metric_name         = each.value.metric
  dimensions          = { StateMachineArn = aws_sfn_state_machine.org_evaluation.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

# Batches that did not complete, and the cells behind them, from the step handlers' own log
# lines: "step succeeded" of MarkBatchFailed / FinalizeExecution carries `batches_failed`, and
# the matrix step's "step succeeded" / "step failed" lines carry `failed_cells`.
locals {
  batch_metrics = {
    FailedBatches = "batches_failed"
    FailedCells   = "failed_cells"
  }
}

resource "aws_cloudwatch_log_metric_filter" "batch_outcomes" {
  for_each = local.batch_metrics

  name           = "${local.name}-${lower(each.key)}"
  log_group_name = aws_cloudwatch_log_group.handlers.name
  pattern        = "{ $.${each.value} > 0 }"

  metric_transformation {
    name      = each.key
    namespace = "Senso"
    value     = "$.${each.value}"
    unit      = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "failed_batches" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${local.name}-failed-batches"
  alarm_description   = "Org batches failed (too many failed cells, a step that gave up, or an execution that timed out) in the last 5 minutes."
  namespace           = "Senso"
  metric_name         = "FailedBatches"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  depends_on          = [aws_cloudwatch_log_metric_filter.batch_outcomes]
}

resource "aws_cloudwatch_metric_alarm" "failed_cells" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${local.name}-failed-cells"
  alarm_description   = "More than ${var.failed_cells_alarm_threshold} matrix cells failed in the last hour."
  namespace           = "Senso"
  metric_name         = "FailedCells"
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = var.failed_cells_alarm_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  depends_on          = [aws_cloudwatch_log_metric_filter.batch_outcomes]
}
