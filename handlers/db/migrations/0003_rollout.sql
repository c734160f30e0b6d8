-- Rollout state of the migration off Inngest, kept locally (AWS environments use SSM).
--
-- rollout_changes is append-only: every change of the Step Functions percentage is a new row
-- with who, when and why, and the current state is the latest row. Writers take a
-- transaction-scoped advisory lock before reading the latest row, so two operators changing
-- the percentage at once are serialised and each change records the state it replaced.

CREATE TABLE senso.rollout_changes (
    change_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text NOT NULL DEFAULT 'rollout' CHECK (kind IN ('rollout', 'rollback')),
    percent          numeric(6, 3) NOT NULL CHECK (percent BETWEEN 0 AND 100),
    previous_percent numeric(6, 3) NOT NULL CHECK (previous_percent BETWEEN 0 AND 100),
    salt             text NOT NULL CHECK (btrim(salt) <> ''),
    updated_by       text NOT NULL CHECK (btrim(updated_by) <> ''),
    reason           text,
    forced           boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (NOT forced OR btrim(coalesce(reason, '')) <> '')
);

CREATE FUNCTION senso.rollout_changes_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rollout_changes is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER rollout_changes_append_only
    BEFORE UPDATE OR DELETE ON senso.rollout_changes
    FOR EACH ROW EXECUTE FUNCTION senso.rollout_changes_append_only();
