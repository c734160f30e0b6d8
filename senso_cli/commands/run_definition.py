"""`senso run-definition`: run any ASL document on the local runtime (no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from handlers.errors import InvalidInputError
from senso_cli.errors import EXIT_FAILED
from senso_cli.output import err, print_json
from senso_cli.params import JsonOpt


def run_definition(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An ASL (JSON) document.", show_default=False)],
    input_json: Annotated[str, typer.Option("--input", help="Execution input as JSON.")] = "{}",
    mock_config: Annotated[
        Path | None, typer.Option(help="A Step Functions Local MockConfigFile.")
    ] = None,
    test_case: Annotated[
        str | None, typer.Option(help="Test case name in the mock config.")
    ] = None,
    time_scale: Annotated[
        float, typer.Option(min=0, help="Multiply Wait and retry intervals (0: do not wait).")
    ] = 1.0,
    json_output: JsonOpt = False,
) -> None:
    """Run any ASL document locally and print its output or error (no database needed)."""
    from senso_cli.local.definition import load_definition
    from senso_cli.services.run_definition import run_document

    try:
        payload = json.loads(input_json)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"--input is not JSON: {exc.msg}", hint="e.g. --input '{\"a\": 1}'"
        ) from exc
    definition = load_definition(file)
    result, history = run_document(
        definition, payload, mock_config=mock_config, test_case=test_case, time_scale=time_scale
    )
    if json_output:
        print_json(
            {
                "status": result.status,
                "output": result.output,
                "error": result.error,
                "cause": result.cause,
                "history": history,
            }
        )
    elif result.status == "SUCCEEDED":
        print(json.dumps(result.output, indent=2))  # noqa: T201
    else:
        err.print(f"{result.status}: {result.error}: {result.cause or ''}")
    if result.status != "SUCCEEDED":
        raise typer.Exit(EXIT_FAILED)
