"""`senso credits grant`: add credits to an org's payer, once."""

from __future__ import annotations

from typing import Annotated

import typer

from senso_cli.context import state
from senso_cli.output import out, print_json
from senso_cli.params import EnvOpt, JsonOpt
from senso_cli.services import orgs as service

app = typer.Typer(help="Manage credit balances.", no_args_is_help=True)


@app.command("grant", context_settings={"ignore_unknown_options": True})
def grant(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(help="Org slug or id.", show_default=False)],
    amount: Annotated[str, typer.Argument(help="Credits to add, e.g. 100.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the ledger).")],
    key: Annotated[
        str | None,
        typer.Option(
            help="Idempotency key; by default a repeat of the same grant today is a no-op."
        ),
    ] = None,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Grant credits to the org's payer (the partner for free-tier orgs)."""
    result = service.grant(state(ctx).db, org, service.parse_amount(amount), reason, key)
    if json_output:
        print_json(result.__dict__)
        return
    if result.granted:
        out.print(f"granted {result.amount} credits to {org} ({result.payer_type.lower()} balance)")
    else:
        out.print(f"already granted (key {result.key}): nothing changed")
    out.print(f"balance: {result.balance:.2f}")
