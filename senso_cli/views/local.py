"""Views of a local execution: the live timeline while it runs and the summary at its end."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer
from rich.table import Table

from senso_cli.errors import EXIT_FAILED
from senso_cli.local.runtime import LocalRuntime
from senso_cli.output import err, out, print_json
from senso_cli.services import trigger as service
from senso_cli.views.sfn import print_batch, timeline_table


def render_live(runtime: LocalRuntime, arn: str, org_id: Any, day: date) -> Table:
    summary = service.batch_summary(runtime.db, org_id, day)
    progress = (
        {
            "total_cells": summary.cells,
            "completed_cells": summary.completed,
            "failed_cells": summary.failed,
        }
        if summary
        else None
    )
    return timeline_table(runtime.store.history(arn), progress)


def finish(
    runtime: LocalRuntime,
    arn: str,
    org_id: Any,
    day: date,
    json_output: bool,
    *,
    shadow: dict[str, Any] | None = None,
) -> None:
    record = runtime.store.get(arn)
    summary = service.batch_summary(runtime.db, org_id, day, charged_since=record["start_date"])
    if json_output:
        document: dict[str, Any] = {
            "execution_arn": arn,
            "status": record["status"],
            "error": record["error"],
            "cause": record["cause"],
            "batch": summary.__dict__ if summary else None,
        }
        if shadow is not None:
            document["shadow"] = {"inngest": shadow}
        print_json(document)
    else:
        if summary is not None:
            print_batch(summary)
        out.print(f"execution {arn}: {record['status']}")
        if record["status"] != "SUCCEEDED" and record["error"]:
            err.print(f"error: {record['error']}: {record['cause'] or ''}", markup=False)
    if record["status"] not in ("SUCCEEDED", "RUNNING"):
        raise typer.Exit(EXIT_FAILED)
