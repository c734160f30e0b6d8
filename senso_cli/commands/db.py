"""`senso db ...`: the database senso uses (embedded by default) and its migrations."""

from __future__ import annotations

import typer

from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.output import out, print_json
from senso_cli.params import EnvOpt, JsonOpt
from senso_cli.services import database as service

app = typer.Typer(
    help="Manage the database: the embedded PostgreSQL server and schema migrations.",
    no_args_is_help=True,
)


@app.command("start")
def start(ctx: typer.Context, env: EnvOpt = None) -> None:
    """Start the embedded PostgreSQL server (other commands start it on demand)."""
    settings = state(ctx).loaded.settings
    if settings.database_url is not None:
        out.print("SENSO_DATABASE_URL is set: senso uses that server and starts nothing.")
        return
    url = service.embedded_server(settings).ensure_running()
    applied = service.migrate(settings)
    out.print(f"embedded PostgreSQL running: {url}")
    if applied:
        out.print(f"applied migrations: {', '.join(str(m.version) for m in applied)}")


@app.command("stop")
def stop(ctx: typer.Context, env: EnvOpt = None) -> None:
    """Stop the embedded PostgreSQL server."""
    settings = state(ctx).loaded.settings
    if settings.database_url is not None:
        out.print("SENSO_DATABASE_URL is set: there is no embedded server to stop.")
        return
    stopped = service.embedded_server(settings).stop()
    out.print("stopped" if stopped else "not running")


@app.command("status")
def status(ctx: typer.Context, json_output: JsonOpt = False, env: EnvOpt = None) -> None:
    """Show which database senso uses, whether it is up, and pending migrations."""
    result = service.database_status(state(ctx).loaded.settings)
    # A stopped embedded server is a state, not a failure; an unreachable one that should be
    # up (external, or embedded and running) is: exit 1 so scripts can tell.
    expected_up = result.server is None or result.server.running
    failed = expected_up and not result.reachable
    if json_output:
        print_json(result.as_dict())
        if failed:
            raise typer.Exit(EXIT_FAILED)
        return
    if result.server is not None:
        word = "running" if result.server.running else "stopped"
        out.print(
            f"embedded PostgreSQL: {word}"
            + (f" (pid {result.server.pid})" if result.server.pid else "")
        )
        out.print(f"  data:     {result.server.data_dir}")
        out.print(f"  socket:   {result.server.socket_dir}")
        out.print(f"  binaries: {result.server.binaries}")
        out.print(f"  runs as:  {result.server.run_as}")
    else:
        out.print(f"external PostgreSQL: {'reachable' if result.reachable else 'unreachable'}")
    out.print(f"url: {result.url}")
    if result.reachable:
        out.print(f"migrations applied: {len(result.applied)}, pending: {len(result.pending)}")
    if failed:
        raise typer.Exit(EXIT_FAILED)


@app.command("url")
def url(ctx: typer.Context, env: EnvOpt = None) -> None:
    """Print the database URL (starting the embedded server if needed), e.g. for psql."""
    settings = state(ctx).loaded.settings
    print(service.database_url(settings))  # noqa: T201 - plain text for $(senso db url)


@app.command("migrate")
def migrate(ctx: typer.Context, env: EnvOpt = None) -> None:
    """Apply pending schema migrations (commands also do this automatically)."""
    applied = service.migrate(state(ctx).loaded.settings)
    if not applied:
        out.print("schema up to date")
        return
    for migration in applied:
        out.print(f"applied {migration.version:04d} {migration.name}")


@app.command("check")
def check(ctx: typer.Context, json_output: JsonOpt = False, env: EnvOpt = None) -> None:
    """Check the product tables senso reads and writes (read-only): every missing table,
    missing column or incompatible type is named, and the exit code is 1 if there is any."""
    result = service.check(state(ctx).loaded.settings)
    if json_output:
        print_json(
            {
                "ok": result.ok,
                "checked_tables": result.checked_tables,
                "problems": [problem.as_dict() for problem in result.problems],
            }
        )
    else:
        for problem in result.problems:
            out.print(f"x {problem}", markup=False, highlight=False)
        if result.ok:
            out.print(f"product tables ok: {result.checked_tables} tables have what senso needs")
        else:
            out.print(
                f"{len(result.problems)} problem(s) in the product tables "
                "(the table map in the config file can rename tables: [tables])"
            )
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)
