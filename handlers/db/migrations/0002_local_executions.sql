-- Executions of senso's local Step Functions runtime and their history, stored with AWS's
-- event names and fields so one status view serves local and AWS runs.

CREATE TABLE senso.sfn_executions (
    execution_arn       text PRIMARY KEY,
    name                text NOT NULL,
    state_machine_arn   text NOT NULL,
    status              text NOT NULL
                        CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED')),
    input               jsonb NOT NULL,
    output              jsonb,
    error               text,
    cause               text,
    org_id              uuid,
    redrive_count       integer NOT NULL DEFAULT 0,
    -- Which process runs it: a RUNNING execution whose owner is gone can be redriven.
    owner_host          text,
    owner_pid           integer,
    start_date          timestamptz NOT NULL DEFAULT now(),
    stop_date           timestamptz,
    UNIQUE (state_machine_arn, name)
);
CREATE INDEX sfn_executions_recent ON senso.sfn_executions (start_date DESC);

CREATE TABLE senso.sfn_history_events (
    execution_arn       text NOT NULL REFERENCES senso.sfn_executions (execution_arn) ON DELETE CASCADE,
    event_id            integer NOT NULL,
    redrive_count       integer NOT NULL DEFAULT 0,
    previous_event_id   integer,
    event_type          text NOT NULL,
    timestamp           timestamptz NOT NULL,
    details             jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (execution_arn, redrive_count, event_id)
);
