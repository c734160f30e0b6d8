# The Fargate cluster and the one task definition every step (and the dispatcher) runs: the
# state machine and the schedules override only the container's command and environment.

resource "aws_ecs_cluster" "main" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

locals {
  image = "${aws_ecr_repository.handlers.repository_url}:${var.image_tag}"

  container_definition = {
    name      = var.container_name
    image     = local.image
    essential = true
    # Task-level cpu/memory are what Fargate bills; the container-level memory repeats it so
    # the container has a hard limit (and moto's run_task, used in tests, needs it).
    cpu    = var.cpu
    memory = var.memory
    # Numeric uid:gid, the non-root user baked into the image.
    user                   = var.container_user
    readonlyRootFilesystem = true
    # Python, psycopg and the HTTP clients write temporary files; /tmp is the only writable path.
    mountPoints = [{
      sourceVolume  = "tmp"
      containerPath = "/tmp"
      readOnly      = false
    }]
    environment = [
      { name = "SENSO_ENV", value = var.environment },
      { name = "SENSO_LOG_LEVEL", value = var.log_level },
      { name = "SENSO_ROLLOUT_PARAMETER", value = aws_ssm_parameter.rollout.name },
      { name = "SENSO_STATE_MACHINE_ARN", value = local.state_machine_arn },
      # Dispatch paces its starts under Fargate's RunTask rate (handlers/pacing.py).
      { name = "SENSO_DISPATCH_STARTS_PER_SECOND", value = tostring(var.dispatch_starts_per_second) },
      { name = "SENSO_DISPATCHER_ARN", value = local.dispatcher_arn },
      { name = "SENSO_DISPATCH_MAX_CONCURRENCY", value = tostring(var.dispatch_max_concurrency) },
      # Model routes, dataset ids, base URLs and rate limits (no secrets: keys come below).
      { name = "SENSO_PROVIDERS_JSON", value = var.providers_config_json },
      # The product's database: which mode senso is in there, and its table names.
      { name = "SENSO_DATABASE_MODE", value = var.database_mode },
      { name = "SENSO_TABLES_JSON", value = jsonencode(var.tables) },
    ]
    # One entry per key of the JSON secret: ECS resolves them at task start with the execution
    # role, so the values never appear in the task definition or in Terraform state.
    secrets = [
      for key in var.secret_keys : {
        name      = key
        valueFrom = "${aws_secretsmanager_secret.handlers.arn}:${key}::"
      }
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.handlers.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "step"
      }
    }
  }
}

resource "aws_ecs_task_definition" "handlers" {
  family                   = "${local.name}-step-handler"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.architecture
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([local.container_definition])

  # Keep superseded revisions registered: executions started before a deploy still name them.
  skip_destroy = true
}
