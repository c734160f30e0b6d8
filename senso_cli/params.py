"""The options several commands share, defined once (`Annotated` aliases for Typer).

A command declares the options it accepts in its own signature, so each shows in that
command's `--help`; nothing rewrites argv. `--env` also takes effect through its callback: the
chosen environment goes into the invocation's settings before the command body runs.
"""

from __future__ import annotations

import re
from typing import Annotated

import typer

from handlers.errors import InvalidInputError


def _choose_env(ctx: typer.Context, value: str | None) -> str | None:
    if value is not None and not ctx.resilient_parsing:
        from senso_cli.context import state

        state(ctx).choose_env(value)
    return value


EnvOpt = Annotated[
    str | None,
    typer.Option(
        "--env",
        help="Environment: `local` (default, or SENSO_ENV / the config's choice) or a "
        "configured AWS one.",
        callback=_choose_env,
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DayOpt = Annotated[
    str | None,
    typer.Option("--day", help="UTC day, YYYY-MM-DD (default: today).", show_default=False),
]
SinceOpt = Annotated[
    str | None,
    typer.Option("--since", help="e.g. 30m, 24h, 7d or an ISO time.", show_default=False),
]
OrgOpt = Annotated[
    str | None, typer.Option("--org", help="Only this org (slug or id).", show_default=False)
]

TOLERANCE_HINT = "use a percentage such as 1% or 0.5%, or a fraction below 1 such as 0.01"
_PERCENT = re.compile(r"^\s*(?P<number>[0-9]*\.?[0-9]+)\s*%\s*$")
_FRACTION = re.compile(r"^\s*(?P<number>[0-9]*\.?[0-9]+)\s*$")


def parse_tolerance(text: str) -> float:
    """'1%' and '0.01' both mean a relative tolerance of 0.01; the result is in [0, 1)."""
    percent = _PERCENT.match(text)
    fraction = _FRACTION.match(text)
    value = None
    if percent is not None:
        value = float(percent["number"]) / 100
    elif fraction is not None:
        value = float(fraction["number"])
    if value is None or not 0 <= value < 1:
        raise InvalidInputError(f"cannot use --tolerance {text!r}", hint=TOLERANCE_HINT)
    return value


def json_format(json_output: bool, output_format: str, default: str) -> str:
    """`--json` is `--format json` for the commands that have more formats."""
    if not json_output:
        return output_format
    if output_format not in (default, "json"):
        raise InvalidInputError(
            f"--json and --format {output_format} ask for two formats", hint="give one of them"
        )
    return "json"
