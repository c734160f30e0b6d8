# Network boundary of the step-handler tasks: nothing may connect in; they may reach HTTPS
# (AWS APIs, model providers) and PostgreSQL, nothing else.

resource "aws_security_group" "handlers" {
  #checkov:skip=CKV2_AWS_5:Attached at run time: the state machine and the schedules pass it to ecs:RunTask, which Checkov cannot follow.
  name        = "${local.name}-step-handlers"
  description = "senso step-handler Fargate tasks: egress only"
  vpc_id      = var.vpc_id

  # No ingress block: the tasks serve nothing.

  egress {
    description = "HTTPS to AWS APIs and model providers"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  dynamic "egress" {
    for_each = var.db_security_group_id == null ? [] : [var.db_security_group_id]
    content {
      description     = "PostgreSQL to the database security group"
      from_port       = var.db_port
      to_port         = var.db_port
      protocol        = "tcp"
      security_groups = [egress.value]
    }
  }

  dynamic "egress" {
    for_each = length(var.db_cidr_blocks) == 0 ? [] : [var.db_cidr_blocks]
    content {
      description = "PostgreSQL to the database CIDR blocks"
      from_port   = var.db_port
      to_port     = var.db_port
      protocol    = "tcp"
      cidr_blocks = egress.value
    }
  }

  tags = {
    Name = "${local.name}-step-handlers"
  }

  lifecycle {
    precondition {
      condition     = var.db_security_group_id != null || length(var.db_cidr_blocks) > 0
      error_message = "The handlers need the database: set db_security_group_id or db_cidr_blocks."
    }
  }
}
