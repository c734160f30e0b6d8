"""Every environment variable senso reads, named once.

Nothing else in the code base reads `os.environ` directly: the settings loader maps these into
the one settings model, and the container contract reads its three step variables here.
"""

from __future__ import annotations

HOME = "SENSO_HOME"
CONFIG = "SENSO_CONFIG"
DATABASE_URL = "SENSO_DATABASE_URL"
ENV = "SENSO_ENV"
SIMULATED_SEED = "SENSO_SIMULATED_SEED"
MATRIX_CONCURRENCY = "SENSO_MATRIX_CONCURRENCY"
LOG_LEVEL = "SENSO_LOG_LEVEL"
TIME_SCALE = "SENSO_TIME_SCALE"
EVALUATOR = "SENSO_EVALUATOR"
MAX_FAILED_CELLS_RATIO = "SENSO_MAX_FAILED_CELLS_RATIO"
# The providers settings as one JSON object (how the task definition passes routes and limits).
PROVIDERS_JSON = "SENSO_PROVIDERS_JSON"
# The product table-name map as one JSON object (handlers.db.tables), e.g. {"credit_ledger": ...}.
TABLES_JSON = "SENSO_TABLES_JSON"
# owned | external | auto: whether senso may create the product tables (handlers.db.migrate).
DATABASE_MODE = "SENSO_DATABASE_MODE"

# Provider credentials (in AWS the task definition injects them from Secrets Manager).
OPENAI_API_KEY = "SENSO_OPENAI_API_KEY"
OPENAI_BASE_URL = "SENSO_OPENAI_BASE_URL"
AZURE_OPENAI_API_KEY = "SENSO_AZURE_OPENAI_API_KEY"
AZURE_OPENAI_ENDPOINT = "SENSO_AZURE_OPENAI_ENDPOINT"
BRIGHTDATA_API_KEY = "SENSO_BRIGHTDATA_API_KEY"
BRIGHTDATA_BASE_URL = "SENSO_BRIGHTDATA_BASE_URL"
ANTHROPIC_API_KEY = "SENSO_ANTHROPIC_API_KEY"
ANTHROPIC_BASE_URL = "SENSO_ANTHROPIC_BASE_URL"
LINKUP_API_KEY = "SENSO_LINKUP_API_KEY"
LINKUP_BASE_URL = "SENSO_LINKUP_BASE_URL"
INNGEST_EVENT_KEY = "SENSO_INNGEST_EVENT_KEY"
INNGEST_SIGNING_KEY = "SENSO_INNGEST_SIGNING_KEY"
# The migration's rails (settings `rollout.*`).
ROLLOUT_LOCAL_PERCENT = "SENSO_ROLLOUT_LOCAL_PERCENT"
ROLLOUT_GATE_MIN_PAIRS = "SENSO_ROLLOUT_GATE_MIN_PAIRS"
ROLLOUT_GATE_MIN_DAYS = "SENSO_ROLLOUT_GATE_MIN_DAYS"

# The container contract between the state machine and a step handler.
STEP_INPUT = "SENSO_STEP_INPUT"
TASK_TOKEN = "SENSO_TASK_TOKEN"  # noqa: S105 - a variable name, not a secret
EXECUTION_ID = "SENSO_EXECUTION_ID"
# Small inputs instead of the state (ECS overrides are limited to 8,192 characters): the batch
# id, the caught error's name, and the Task's HeartbeatSeconds (the heartbeat beats every third).
BATCH_ID = "SENSO_BATCH_ID"
ERROR_NAME = "SENSO_ERROR"
HEARTBEAT_SECONDS = "SENSO_HEARTBEAT_SECONDS"
# Set by the EventBridge rule that runs FinalizeExecution when an execution ends.
EXECUTION_STATUS = "SENSO_EXECUTION_STATUS"
AWS_REGION = "AWS_REGION"
AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"

# Environment variable -> dotted settings key.
SETTINGS_KEYS: dict[str, str] = {
    HOME: "home",
    DATABASE_URL: "database_url",
    DATABASE_MODE: "database_mode",
    ENV: "env",
    SIMULATED_SEED: "simulated_seed",
    MATRIX_CONCURRENCY: "matrix_concurrency",
    LOG_LEVEL: "log_level",
    TIME_SCALE: "time_scale",
    EVALUATOR: "evaluator",
    MAX_FAILED_CELLS_RATIO: "max_failed_cells_ratio",
    OPENAI_API_KEY: "providers.openai.api_key",
    OPENAI_BASE_URL: "providers.openai.base_url",
    AZURE_OPENAI_API_KEY: "providers.azure_openai.api_key",
    AZURE_OPENAI_ENDPOINT: "providers.azure_openai.endpoint",
    BRIGHTDATA_API_KEY: "providers.brightdata.api_key",
    BRIGHTDATA_BASE_URL: "providers.brightdata.base_url",
    ANTHROPIC_API_KEY: "providers.anthropic.api_key",
    ANTHROPIC_BASE_URL: "providers.anthropic.base_url",
    LINKUP_API_KEY: "providers.linkup.api_key",
    LINKUP_BASE_URL: "providers.linkup.base_url",
    INNGEST_EVENT_KEY: "inngest.event_key",
    INNGEST_SIGNING_KEY: "inngest.signing_key",
    ROLLOUT_LOCAL_PERCENT: "rollout.local_percent",
    ROLLOUT_GATE_MIN_PAIRS: "rollout.gate_min_pairs",
    ROLLOUT_GATE_MIN_DAYS: "rollout.gate_min_days",
}

# Set by the task definition for the dispatcher (the daily schedule's `Dispatch` step).
ROLLOUT_PARAMETER = "SENSO_ROLLOUT_PARAMETER"
STATE_MACHINE_ARN = "SENSO_STATE_MACHINE_ARN"
