-- Core schema of the org evaluation workflow.
--
-- The old system's weaknesses are fixed here, in the schema, rather than by code discipline:
--   * one batch per org, UTC day and orchestrator (unique), so racing triggers converge;
--   * one question run per (batch, question, model, location) (unique), so a resumed step
--     never runs a cell twice;
--   * one ledger entry per (source type, source id, org) (unique), so a charge is made once;
--   * batch counters are not stored: the view batch_progress derives them from the runs;
--   * new batches start with is_latest = false and at most one batch per org is latest.

CREATE TABLE partners (
    partner_id      uuid PRIMARY KEY,
    slug            text NOT NULL UNIQUE,
    name            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orgs (
    org_id          uuid PRIMARY KEY,
    slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    name            text NOT NULL CHECK (btrim(name) <> ''),
    partner_id      uuid NOT NULL REFERENCES partners (partner_id),
    is_free_tier    boolean NOT NULL DEFAULT false,
    industry        text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);

CREATE TABLE org_websites (
    org_id          uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
    url             text NOT NULL,
    position        integer NOT NULL,
    PRIMARY KEY (org_id, url)
);

CREATE TABLE geo_questions (
    question_id     uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
    question_text   text NOT NULL CHECK (btrim(question_text) <> ''),
    question_type   text NOT NULL DEFAULT 'topic'
                    CHECK (question_type IN ('brand-specific', 'comparison', 'topic', 'rank')),
    tags            text[] NOT NULL DEFAULT '{}',
    position        integer NOT NULL,
    retired_at      timestamptz,
    UNIQUE (org_id, question_text)
);

CREATE TABLE geo_models (
    model_id        uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (btrim(name) <> ''),
    position        integer NOT NULL,
    retired_at      timestamptz,
    UNIQUE (org_id, name)
);

CREATE TABLE org_locations (
    location_id     uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
    country_code    char(2) NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    region_name     text,
    position        integer NOT NULL,
    retired_at      timestamptz
);
CREATE UNIQUE INDEX org_locations_identity
    ON org_locations (org_id, country_code, coalesce(region_name, ''));

-- 0 = Monday ... 6 = Sunday, as the old scheduler computed it.
CREATE TABLE org_schedules (
    org_id          uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
    day_of_week     smallint NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
    PRIMARY KEY (org_id, day_of_week)
);

CREATE TABLE pricing_configs (
    partner_id              uuid NOT NULL REFERENCES partners (partner_id),
    action                  text NOT NULL,
    wholesale_fixed_price   numeric(12, 6) CHECK (wholesale_fixed_price > 0),
    wholesale_margin_pct    numeric(6, 5) CHECK (wholesale_margin_pct >= 0 AND wholesale_margin_pct < 1),
    PRIMARY KEY (partner_id, action)
);

CREATE TABLE question_run_batches (
    batch_id        uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES orgs (org_id),
    batch_day       date NOT NULL,
    orchestrator    text NOT NULL CHECK (orchestrator IN ('step_functions', 'inngest')),
    execution_id    text,
    batch_type      text NOT NULL DEFAULT 'manual',
    triggered_by    text,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    -- The cells snapshotted by StartBatchProcessing; null until then.
    total_cells     integer CHECK (total_cells >= 0),
    -- The payer CheckBalance checked; TrackUsage debits exactly this balance.
    payer_type      text CHECK (payer_type IN ('ORG', 'PARTNER')),
    payer_id        uuid,
    unit_price      numeric(12, 6),
    is_latest       boolean NOT NULL DEFAULT false,
    error_name      text,
    error_cause     text,
    aggregates      jsonb,
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    completed_at    timestamptz,
    failed_at       timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, batch_day, orchestrator),
    CHECK (status <> 'failed' OR error_name IS NOT NULL)
);
CREATE UNIQUE INDEX question_run_batches_one_latest
    ON question_run_batches (org_id) WHERE is_latest;
CREATE INDEX question_run_batches_recent ON question_run_batches (batch_day DESC, org_id);

-- The matrix snapshot: one row per cell the batch must run, fixed when processing starts.
CREATE TABLE batch_cells (
    batch_id        uuid NOT NULL REFERENCES question_run_batches (batch_id) ON DELETE CASCADE,
    question_id     uuid NOT NULL REFERENCES geo_questions (question_id),
    model_id        uuid NOT NULL REFERENCES geo_models (model_id),
    location_id     uuid NOT NULL REFERENCES org_locations (location_id),
    PRIMARY KEY (batch_id, question_id, model_id, location_id)
);

CREATE TABLE question_runs (
    question_run_id uuid PRIMARY KEY,
    batch_id        uuid NOT NULL REFERENCES question_run_batches (batch_id) ON DELETE CASCADE,
    org_id          uuid NOT NULL REFERENCES orgs (org_id),
    question_id     uuid NOT NULL REFERENCES geo_questions (question_id),
    model_id        uuid NOT NULL REFERENCES geo_models (model_id),
    location_id     uuid NOT NULL REFERENCES org_locations (location_id),
    status          text NOT NULL CHECK (status IN ('completed', 'failed')),
    failure_reason  text,
    provider        text,
    run_model       text NOT NULL,
    run_country     char(2) NOT NULL,
    run_region      text,
    response_text   text,
    is_placeholder  boolean NOT NULL DEFAULT false,
    simulated       boolean NOT NULL DEFAULT false,
    input_tokens    integer,
    output_tokens   integer,
    answer_cost     numeric(14, 8) NOT NULL DEFAULT 0,
    attempts        integer NOT NULL DEFAULT 1,
    duration_ms     integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (batch_id, question_id, model_id, location_id),
    CHECK (status <> 'failed' OR failure_reason IS NOT NULL),
    CHECK (status <> 'completed' OR response_text IS NOT NULL)
);
CREATE INDEX question_runs_org_created ON question_runs (org_id, created_at DESC);

CREATE TABLE org_evals (
    question_run_id uuid PRIMARY KEY REFERENCES question_runs (question_run_id) ON DELETE CASCADE,
    org_id          uuid NOT NULL REFERENCES orgs (org_id),
    mentioned       boolean NOT NULL,
    citation        boolean NOT NULL,
    sentiment       text CHECK (sentiment IN ('positive', 'neutral', 'negative')),
    mention_text    text,
    mention_rank    integer CHECK (mention_rank >= 1),
    share_of_voice  numeric(8, 4) NOT NULL DEFAULT 0,
    evaluator       text NOT NULL,
    input_tokens    integer,
    output_tokens   integer,
    eval_cost       numeric(14, 8) NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE org_citations (
    question_run_id uuid NOT NULL REFERENCES question_runs (question_run_id) ON DELETE CASCADE,
    org_id          uuid NOT NULL REFERENCES orgs (org_id),
    url             text NOT NULL,
    domain          text NOT NULL,
    citation_type   text NOT NULL CHECK (citation_type IN ('primary', 'secondary')),
    position        integer NOT NULL,
    PRIMARY KEY (question_run_id, url)
);

CREATE TABLE org_competitors (
    question_run_id uuid NOT NULL REFERENCES question_runs (question_run_id) ON DELETE CASCADE,
    org_id          uuid NOT NULL REFERENCES orgs (org_id),
    name            text NOT NULL,
    position        integer NOT NULL,
    PRIMARY KEY (question_run_id, name)
);

-- Generated once per org and reused until the org's name or websites change (fingerprint).
CREATE TABLE name_variations (
    org_id          uuid PRIMARY KEY REFERENCES orgs (org_id) ON DELETE CASCADE,
    fingerprint     text NOT NULL,
    names           text[] NOT NULL CHECK (cardinality(names) > 0),
    generator       text NOT NULL,
    cost            numeric(14, 8) NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE credit_balances (
    owner_type      text NOT NULL CHECK (owner_type IN ('ORG', 'PARTNER')),
    owner_id        uuid NOT NULL,
    current_balance numeric(14, 6) NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_type, owner_id)
);

CREATE TABLE credit_ledger (
    entry_id        uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES orgs (org_id),
    partner_id      uuid NOT NULL REFERENCES partners (partner_id),
    payer_type      text NOT NULL CHECK (payer_type IN ('ORG', 'PARTNER')),
    payer_id        uuid NOT NULL,
    amount          numeric(14, 6) NOT NULL,
    source_type     text NOT NULL,
    source_id       text NOT NULL,
    batch_id        uuid REFERENCES question_run_batches (batch_id),
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_type, source_id, org_id)
);
CREATE INDEX credit_ledger_batch ON credit_ledger (batch_id);

-- Counters derived by query, never maintained by read-modify-write.
CREATE VIEW batch_progress AS
SELECT b.batch_id,
       b.org_id,
       b.status,
       coalesce(c.cells, 0)                                            AS total_cells,
       count(r.question_run_id) FILTER (WHERE r.status = 'completed')  AS completed_cells,
       count(r.question_run_id) FILTER (WHERE r.status = 'failed')     AS failed_cells
FROM question_run_batches b
LEFT JOIN LATERAL (SELECT count(*) AS cells FROM batch_cells bc WHERE bc.batch_id = b.batch_id) c
       ON true
LEFT JOIN question_runs r ON r.batch_id = b.batch_id
GROUP BY b.batch_id, b.org_id, b.status, c.cells;
