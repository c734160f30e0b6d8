# EventBridge Scheduler schedules that start the step-handler task outside the state machine.
#
# dispatcher      - daily at 02:00 UTC: the `Dispatch` step reads the rollout parameter and starts
#                   one execution per org that is rolled out to Step Functions.
# rollback guard  - the automatic half of the rollback story. After the day's executions have had
#                   time to finish, the `RollbackGuard` step looks at them and, if too many failed,
#                   writes percent 0 to the rollout parameter so the next day's orgs all stay on
#                   the legacy (Inngest) path. Operators roll back by hand with `senso rollout`;
#                   the guard is the safety net for a bad night nobody is watching.
#
# Both are created DISABLED by default: enabling them is a deliberate rollout decision (a
# second trigger next to the legacy daily trigger would evaluate and charge orgs twice).

locals {
  scheduled_task_network = {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.handlers.id]
    assign_public_ip = false
  }

  schedules = {
    dispatcher = {
      description = "Daily dispatcher: starts one org-evaluation execution per rolled-out org."
      expression  = var.dispatcher_schedule_expression
      enabled     = var.dispatcher_schedule_enabled
      command     = ["Dispatch"]
    }
    rollback-guard = {
      description = "Rollback guard: sets the rollout to 0% when the day's executions failed too often."
      expression  = var.rollback_guard_schedule_expression
      enabled     = var.rollback_guard_enabled
      command     = var.rollback_guard_command
    }
  }
}

resource "aws_scheduler_schedule" "task" {
  #checkov:skip=CKV_AWS_297:The schedule input is a fixed command override with no data in it; a CMK would only add a KMS dependency to the daily trigger.
  for_each = local.schedules

  name        = "${local.name}-${each.key}"
  description = each.value.description
  group_name  = "default"
  state       = each.value.enabled ? "ENABLED" : "DISABLED"

  schedule_expression          = each.value.expression
  schedule_expression_timezone = "UTC"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.main.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
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

    # For an ECS target the input is the RunTask `overrides` object.
    input = jsonencode({
      containerOverrides = [{
        name    = var.container_name
        command = each.value.command
      }]
    })

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
}
