# Inputs of the senso org-evaluation stack. Only environment, vpc_id, subnet_ids and image_tag
# have no default.

# --- Provider -------------------------------------------------------------------------------

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "aws_endpoints" {
  description = "Service name -> endpoint URL overrides (tests point these at a local moto server). Keys: cloudwatch, ec2, ecr, ecs, events, iam, kms, logs, scheduler, secretsmanager, sfn, sns, ssm, sts."
  type        = map(string)
  default     = {}
}

variable "aws_skip_checks" {
  description = "Skip credential validation, account-id lookup and the EC2 metadata check (only for local emulators)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags applied to every resource."
  type        = map(string)
  default     = {}
}

# --- Identity and network ---------------------------------------------------------------------

variable "environment" {
  description = "Environment name (dev, staging, prod); part of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.environment))
    error_message = "environment must be 2-21 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC the step-handler tasks run in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the Fargate tasks (they need a NAT gateway or VPC endpoints to reach AWS APIs and the model providers)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "Give at least one subnet."
  }
}

variable "db_security_group_id" {
  description = "Security group of the PostgreSQL database; the tasks may open connections to it on db_port. Null when db_cidr_blocks is used instead."
  type        = string
  default     = null
}

variable "db_cidr_blocks" {
  description = "CIDR blocks of the PostgreSQL database, for when it has no security group in this VPC (e.g. a managed provider reached over peering)."
  type        = list(string)
  default     = []
}

variable "db_port" {
  description = "PostgreSQL port."
  type        = number
  default     = 5432
}

# --- Image and task size ----------------------------------------------------------------------

variable "image_repository" {
  description = "Name of the ECR repository this stack creates for the step-handler image."
  type        = string
  default     = "senso-handlers"
}

variable "image_tag" {
  description = "Immutable tag of the step-handler image to run (e.g. the git SHA)."
  type        = string

  validation {
    condition     = length(var.image_tag) > 0 && var.image_tag != "latest"
    error_message = "image_tag must be an immutable tag, not empty and not \"latest\"."
  }
}

variable "ecr_untagged_expiry_days" {
  description = "Untagged images (layers of failed or replaced pushes) expire this many days after push. Tagged images never expire: task definition revisions name them."
  type        = number
  default     = 14
}

variable "container_name" {
  description = "Name of the container in the task definition; the state machine overrides its command."
  type        = string
  default     = "step-handler"
}

variable "cpu" {
  description = "Fargate task CPU units (256, 512, 1024, 2048, 4096, ...)."
  type        = number
  default     = 1024
}

variable "memory" {
  description = "Fargate task memory in MiB; must be valid for the chosen cpu."
  type        = number
  default     = 2048
}

variable "architecture" {
  description = "CPU architecture of the image and the Fargate task."
  type        = string
  default     = "ARM64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.architecture)
    error_message = "architecture must be X86_64 or ARM64."
  }
}

variable "container_user" {
  description = "uid:gid the container runs as; must match the USER of the Dockerfile."
  type        = string
  default     = "10001:10001"
}

variable "log_level" {
  description = "SENSO_LOG_LEVEL for the step handlers."
  type        = string
  default     = "INFO"
}

variable "secret_keys" {
  description = "Keys of the JSON secret, each injected into the container as the environment variable of the same name."
  type        = list(string)
  default = [
    "SENSO_DATABASE_URL",
    "SENSO_OPENAI_API_KEY",
    "SENSO_AZURE_OPENAI_API_KEY",
    "SENSO_AZURE_OPENAI_ENDPOINT",
    "SENSO_BRIGHTDATA_API_KEY",
    "SENSO_ANTHROPIC_API_KEY",
    "SENSO_LINKUP_API_KEY",
    "SENSO_INNGEST_EVENT_KEY",
    "SENSO_INNGEST_SIGNING_KEY",
  ]
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can be restored (0 deletes at once, for throw-away environments). While it waits, the name cannot be reused."
  type        = number
  default     = 7
}

# --- Observability ----------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of the handler and state machine log groups."
  type        = number
  default     = 365
}

variable "sfn_log_level" {
  description = "Step Functions execution log level."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL"], var.sfn_log_level)
    error_message = "sfn_log_level must be ALL, ERROR or FATAL."
  }
}

variable "enable_tracing" {
  description = "X-Ray tracing of state machine executions."
  type        = bool
  default     = true
}

variable "enable_alarms" {
  description = "Create the CloudWatch alarms on failed, timed-out and throttled executions, failed batches and failed cells."
  type        = bool
  default     = true
}

variable "failed_cells_alarm_threshold" {
  description = "Alarm when more matrix cells than this failed in one hour (across all orgs)."
  type        = number
  default     = 100
}

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic; null for none (subscribe something else to the sns_topic_arn output)."
  type        = string
  default     = null
}

# --- Scheduling and rollout -------------------------------------------------------------------

variable "dispatcher_schedule_expression" {
  description = "When the daily dispatcher runs (EventBridge Scheduler expression, evaluated in UTC)."
  type        = string
  default     = "cron(0 2 * * ? *)"
}

variable "dispatch_max_concurrency" {
  description = "Most org-evaluation executions the dispatcher runs at once (its Map's MaxConcurrency), for the daily dispatch and trigger-batch. The step handlers read it as SENSO_DISPATCH_MAX_CONCURRENCY."
  type        = number
  default     = 50

  validation {
    condition     = var.dispatch_max_concurrency >= 1 && var.dispatch_max_concurrency <= 10000 && floor(var.dispatch_max_concurrency) == var.dispatch_max_concurrency
    error_message = "dispatch_max_concurrency must be a whole number from 1 to 10000 (a distributed Map's limit)."
  }
}

variable "dispatcher_schedule_enabled" {
  description = "Enable the daily dispatcher. Off until the rollout starts: while Inngest still triggers every org, two triggers would double-run orgs."
  type        = bool
  default     = false
}

variable "rollback_guard_schedule_expression" {
  description = "When the rollback guard runs (UTC); after the dispatcher, once the day's executions have had time to finish."
  type        = string
  default     = "cron(30 4 * * ? *)"
}

variable "rollback_guard_enabled" {
  description = "Enable the rollback guard schedule and the rights it needs (write the rollout parameter, list executions)."
  type        = bool
  default     = false
}

variable "rollback_guard_command" {
  description = "Command the rollback guard task runs (a step name registered in handlers)."
  type        = list(string)
  default     = ["RollbackGuard"]
}

variable "rollout_initial_value" {
  description = "Initial JSON of the rollout parameter; senso rewrites it afterwards and Terraform ignores those changes."
  type        = string
  default     = "{\"percent\":0}"
}

variable "providers_config_json" {
  description = "The handlers' providers settings as JSON (routes per model name, default_provider, dataset ids, base URLs, rate limits); keys come from the secret. \"{}\" answers every model with the simulated provider."
  type        = string
  default     = "{}"

  validation {
    condition     = can(jsondecode(var.providers_config_json))
    error_message = "providers_config_json must be a JSON object."
  }
}

variable "dispatch_starts_per_second" {
  description = "Executions the Dispatch step starts per second. Each execution makes about 7 Fargate RunTask calls and Fargate sustains about 20 a second per account, so at most 20/7 (handlers/pacing.py)."
  type        = number
  default     = 2

  validation {
    condition     = var.dispatch_starts_per_second > 0 && var.dispatch_starts_per_second <= 20 / 7
    error_message = "dispatch_starts_per_second must be above 0 and at most 20/7 (Fargate's RunTask rate over the RunTask calls of one execution)."
  }
}

variable "database_mode" {
  description = "SENSO_DATABASE_MODE for the handlers: \"external\" (the product's database: senso migrates only its own schema `senso` and never creates, alters or drops a product table), \"owned\" (a database senso builds and fills itself, e.g. a test stack), or \"auto\" (external when product tables exist that senso did not create). See handlers/db/migrate.py."
  type        = string
  default     = "external"

  validation {
    condition     = contains(["external", "owned", "auto"], var.database_mode)
    error_message = "database_mode must be external, owned or auto."
  }
}

variable "tables" {
  description = "The product table map, passed as SENSO_TABLES_JSON: a logical table name (handlers/db/tables.py) -> its name in the product database, only where it differs from domain.md's, e.g. { credit_ledger = \"billing.credit_entries\" }. Empty: domain.md's names."
  type        = map(string)
  default     = {}

  validation {
    # The logical names of handlers/db/tables.py (a test keeps the two lists equal).
    condition = alltrue([for key in keys(var.tables) : contains([
      "partners", "networks", "orgs", "org_websites", "org_schedules", "wholesale_pricing",
      "geo_questions", "geo_models", "org_locations", "question_run_batches", "question_runs",
      "org_evals", "org_citations", "org_competitors", "credit_ledger", "credit_balances",
    ], key)])
    error_message = "tables: every key must be a logical table name of handlers/db/tables.py (e.g. credit_ledger, org_schedules)."
  }

  validation {
    # Spliced into SQL by the handlers, which refuse anything else (Tables.from_mapping).
    condition = alltrue([
      for name in values(var.tables) : can(regex("^[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?$", name))
    ])
    error_message = "tables: every value must be name or schema.name (lower-case letters, digits, _)."
  }

  validation {
    condition     = alltrue([for name in values(var.tables) : !startswith(name, "senso.")])
    error_message = "tables: schema senso is senso's own; a product table cannot be there."
  }
}
