-- Fleet-wide provider rate limits (handlers/providers/fleet_limiter.py): one budget per
-- provider account, shared by every task and execution that calls it. Only senso uses these
-- tables, so they live in schema `senso`. Times are epoch seconds of the database's clock, the
-- one clock every container agrees on. The grant log and the waiting room are UNLOGGED: after a
-- crash they restart empty, which only forgets the last minute's pacing.
CREATE SCHEMA IF NOT EXISTS senso;

CREATE TABLE senso.provider_budgets (
    account       text PRIMARY KEY,             -- provider kind and a digest of its key
    rpm           integer,
    tpm           integer,
    window_s      double precision NOT NULL DEFAULT 60,
    paused_until  double precision NOT NULL DEFAULT 0,  -- Retry-After, for every caller
    skew_s        double precision NOT NULL DEFAULT 0,  -- learned server-side stamping lag
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNLOGGED TABLE senso.provider_grants (
    grant_id    bigserial PRIMARY KEY,
    account     text NOT NULL,
    org_id      text NOT NULL,
    granted_at  double precision NOT NULL,
    tokens      integer NOT NULL
);
CREATE INDEX provider_grants_window ON senso.provider_grants (account, granted_at);

CREATE UNLOGGED TABLE senso.provider_waiters (
    account    text NOT NULL,
    waiter_id  text NOT NULL,
    org_id     text NOT NULL,
    tokens     integer NOT NULL,
    since      double precision NOT NULL,
    seen_at    double precision NOT NULL,
    PRIMARY KEY (account, waiter_id)
);
