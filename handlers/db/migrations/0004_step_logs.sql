-- The step handlers' structured log lines for executions of the local runtime, so
-- `senso logs` shows locally what CloudWatch shows on AWS (one JSON record per line there).
CREATE TABLE senso.step_logs (
    log_id          bigserial PRIMARY KEY,
    execution_arn   text,
    timestamp       timestamptz NOT NULL,
    level           text NOT NULL,
    step            text,
    org_id          text,
    batch_id        text,
    message         text NOT NULL,
    fields          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX step_logs_time ON senso.step_logs (timestamp);
