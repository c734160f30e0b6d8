-- The learned skew of a fleet-wide provider budget (fleet_limiter.py) shrinks while no refusal
-- is seen: each window that passes without a 429 halves it. `skew_checked_at` (epoch seconds,
-- database clock) is when it was last learned or halved.
ALTER TABLE senso.provider_budgets ADD COLUMN skew_checked_at double precision NOT NULL DEFAULT 0;
