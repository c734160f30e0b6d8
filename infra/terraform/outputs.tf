# What the operator CLI (`senso deploy`, `senso status`, ...) and the tests read back.

output "region" {
  value = var.region
}

output "state_machine_arn" {
  value = aws_sfn_state_machine.org_evaluation.arn
}

output "cluster_arn" {
  value = aws_ecs_cluster.main.arn
}

output "task_definition_arn" {
  value = aws_ecs_task_definition.handlers.arn
}

output "container_name" {
  value = var.container_name
}

output "handler_log_group" {
  value = aws_cloudwatch_log_group.handlers.name
}

output "state_machine_log_group" {
  value = aws_cloudwatch_log_group.state_machine.name
}

output "ecr_repository_url" {
  value = aws_ecr_repository.handlers.repository_url
}

output "secret_arn" {
  value = aws_secretsmanager_secret.handlers.arn
}

output "rollout_parameter_name" {
  value = aws_ssm_parameter.rollout.name
}

output "dispatcher_schedule_name" {
  value = aws_scheduler_schedule.task["dispatcher"].name
}

output "rollback_schedule_name" {
  value = aws_scheduler_schedule.task["rollback-guard"].name
}

output "sns_topic_arn" {
  value = aws_sns_topic.alarms.arn
}

output "subnet_ids" {
  value = var.subnet_ids
}

output "security_group_id" {
  value = aws_security_group.handlers.id
}

output "dispatcher_state_machine_arn" {
  description = "The dispatcher: starts the day's org executions at most dispatch_max_concurrency at once."
  value       = aws_sfn_state_machine.dispatcher.arn
}
