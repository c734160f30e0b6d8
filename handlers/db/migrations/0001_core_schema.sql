-- senso's own bookkeeping, in schema `senso`, never in the product's tables.
--
-- The product database may have no unique constraint at all, so exactly-once is kept here, in
-- rows written in the same transaction as the product rows they guard:
--   * senso.batches: one batch per org, UTC day and target (live or shadow) (primary key of
--     the natural key), so racing triggers converge on one product batch;
--   * senso.cell_runs: one run per (batch, question, model, location), so a resumed step never
--     writes a cell twice;
--   * senso.ledger_keys: one ledger row per (target, source type, source id, org), so a charge
--     is made once and the balance moves by exactly the rows inserted.
-- What only senso needs about a batch or a cell (why a cell failed, the payer CheckBalance
-- chose, the aggregates) lives here too, keyed by the product's ids.

CREATE SCHEMA IF NOT EXISTS senso;

-- Which mode created this database's product tables (one row): 'owned' means senso built the
-- reconstruction and may write orgs and credits; absent means senso never touches them.
CREATE TABLE senso.ownership (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    mode            text NOT NULL CHECK (mode IN ('owned')),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The short names operators type (`--org demo`); the product identifies orgs by id and name.
CREATE TABLE senso.org_aliases (
    slug            text PRIMARY KEY CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    org_id          uuid NOT NULL UNIQUE
);

CREATE TABLE senso.batches (
    batch_id        uuid PRIMARY KEY,
    org_id          uuid NOT NULL,
    batch_day       date NOT NULL,
    shadow          boolean NOT NULL DEFAULT false,
    execution_id    text,
    triggered_by    text,
    -- The payer CheckBalance checked; TrackUsage debits exactly this balance.
    payer_type      text CHECK (payer_type IN ('ORG', 'PARTNER')),
    payer_id        uuid,
    unit_price      numeric(12, 6),
    error_name      text,
    error_cause     text,
    aggregates      jsonb,
    attempts        integer NOT NULL DEFAULT 0,
    failed_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, batch_day, shadow)
);
CREATE INDEX batches_day ON senso.batches (batch_day DESC, org_id);

-- The matrix snapshot: one row per cell the batch must run, fixed when processing starts.
CREATE TABLE senso.batch_cells (
    batch_id        uuid NOT NULL REFERENCES senso.batches (batch_id) ON DELETE CASCADE,
    geo_question_id uuid NOT NULL,
    model_id        uuid NOT NULL,
    location_id     uuid NOT NULL,
    position        integer NOT NULL,
    PRIMARY KEY (batch_id, geo_question_id, model_id, location_id)
);

-- One row per cell of a batch that ran: completed cells point at their product question run
-- (written in the same transaction); failed cells have no product row, only their reason.
CREATE TABLE senso.cell_runs (
    batch_id        uuid NOT NULL REFERENCES senso.batches (batch_id) ON DELETE CASCADE,
    geo_question_id uuid NOT NULL,
    model_id        uuid NOT NULL,
    location_id     uuid NOT NULL,
    question_run_id uuid,
    status          text NOT NULL CHECK (status IN ('completed', 'failed')),
    failure_reason  text,
    provider        text,
    is_placeholder  boolean NOT NULL DEFAULT false,
    simulated       boolean NOT NULL DEFAULT false,
    share_of_voice  numeric(8, 4),
    evaluator       text,
    attempts        integer NOT NULL DEFAULT 1,
    duration_ms     integer,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, geo_question_id, model_id, location_id),
    CHECK (status <> 'failed' OR failure_reason IS NOT NULL),
    CHECK (status <> 'completed' OR question_run_id IS NOT NULL)
);
CREATE UNIQUE INDEX cell_runs_run ON senso.cell_runs (question_run_id);

CREATE TABLE senso.ledger_keys (
    shadow          boolean NOT NULL DEFAULT false,
    source_type     text NOT NULL,
    source_id       text NOT NULL,
    org_id          uuid NOT NULL,
    entry_id        uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shadow, source_type, source_id, org_id)
);

-- Generated once per org and reused until the org's name or websites change (fingerprint).
CREATE TABLE senso.name_variations (
    org_id          uuid PRIMARY KEY,
    fingerprint     text NOT NULL,
    names           text[] NOT NULL CHECK (cardinality(names) > 0),
    generator       text NOT NULL,
    cost            numeric(14, 8) NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);
