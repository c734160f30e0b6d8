# The org-evaluation state machine. Its definition lives in asl/ at the repository root (the CLI
# validates and diffs the same file); Terraform only fills in the resource identifiers.

locals {
  asl_path = "${path.module}/../../asl/org-evaluation-workflow.json"

  state_machine_definition = templatefile(local.asl_path, {
    cluster_arn         = aws_ecs_cluster.main.arn
    task_definition_arn = aws_ecs_task_definition.handlers.arn
    container_name      = var.container_name
    # The template writes "Subnets": ["${subnet_ids}"]; joining with "," between quotes turns
    # that into a JSON list of strings.
    subnet_ids         = join("\",\"", var.subnet_ids)
    security_group_ids = join("\",\"", [aws_security_group.handlers.id])
  })
}

resource "aws_sfn_state_machine" "org_evaluation" {
  #checkov:skip=CKV_AWS_285:Execution inputs and outputs carry org data and model answers; the logs keep events and errors only, the handlers log what is needed.
  name       = local.state_machine_name
  role_arn   = aws_iam_role.state_machine.arn
  type       = "STANDARD"
  definition = local.state_machine_definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    level                  = var.sfn_log_level
    include_execution_data = false # inputs carry org data; the handlers log what is needed
  }

  tracing_configuration {
    enabled = var.enable_tracing
  }

  # The role's policies must exist before Step Functions validates the logging destination.
  depends_on = [aws_iam_role_policy.state_machine]
}
