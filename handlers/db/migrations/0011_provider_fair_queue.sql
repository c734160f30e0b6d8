-- Start-time fair queueing for the fleet-wide provider budgets (fleet_limiter.py): each waiting
-- call gets a tag when it arrives, max(the account's virtual time, its org's last tag) + 1, and
-- calls are served in tag order. Tags never change once given, so each waiter knows when its
-- turn comes and can sleep until then, and every org with work advances one call per round.
ALTER TABLE senso.provider_budgets ADD COLUMN virtual_tag double precision NOT NULL DEFAULT 0;
ALTER TABLE senso.provider_waiters ADD COLUMN tag double precision NOT NULL DEFAULT 0;

CREATE UNLOGGED TABLE senso.provider_org_tags (
    account   text NOT NULL,
    org_id    text NOT NULL,
    last_tag  double precision NOT NULL,
    PRIMARY KEY (account, org_id)
);
