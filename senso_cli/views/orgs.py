"""What an org import changed, shown the same by `orgs import` and `dev seed`."""

from __future__ import annotations

from handlers.orgdata.importer import ImportReport
from senso_cli.output import out, print_json


def render_import(report: ImportReport, json_output: bool) -> None:
    if json_output:
        print_json({"orgs": report.orgs, "changed": report.changed, "changes": report.changes})
        return
    if not report.changed:
        out.print(f"no changes: {', '.join(report.orgs)} already up to date")
        return
    details = ", ".join(f"{what}: {count}" for what, count in report.changes.items())
    out.print(f"imported {', '.join(report.orgs)} ({details})")
