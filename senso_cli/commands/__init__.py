"""The command table: every `senso` command, where it lives, and the line `senso --help` shows.

The root group imports a command's module only when that command runs (or its own help is
asked for), so `senso --help` and a shell completion never pay for openai, pandas or boto3.
The summaries here are the first line of each command's help; a test keeps them equal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    name: str
    target: str  # "module:attribute": a command function or a Typer sub-app
    summary: str


COMMANDS: tuple[Entry, ...] = (
    Entry("config", "senso_cli.commands.config:app", "Inspect senso's configuration."),
    Entry(
        "db",
        "senso_cli.commands.db:app",
        "Manage the database: the embedded PostgreSQL server and schema migrations.",
    ),
    Entry("orgs", "senso_cli.commands.orgs:app", "Import, list and show orgs."),
    Entry("credits", "senso_cli.commands.credits:app", "Manage credit balances."),
    Entry("dev", "senso_cli.commands.dev:app", "Local development helpers."),
    Entry(
        "evaluate",
        "senso_cli.commands.evaluate:evaluate",
        "Evaluate one answer for an org: mention, share of voice, sentiment, rank, citations.",
    ),
    Entry(
        "reevaluate",
        "senso_cli.commands.reevaluate:reevaluate",
        "Re-evaluate an org's stored answers with the current evaluator; no provider is called.",
    ),
    Entry(
        "trigger",
        "senso_cli.commands.trigger:trigger",
        "Start the org evaluation workflow for one org and (by default) watch it run.",
    ),
    Entry(
        "status",
        "senso_cli.commands.status:status",
        "Recent executions, or one execution's state timeline with durations, retries, errors.",
    ),
    Entry(
        "redrive",
        "senso_cli.commands.redrive:redrive",
        "Resume an execution that did not succeed; or many, with --since.",
    ),
    Entry(
        "run-definition",
        "senso_cli.commands.run_definition:run_definition",
        "Run any ASL document locally and print its output or error (no database needed).",
    ),
    Entry(
        "compare",
        "senso_cli.commands.compare:compare",
        "Compare Step Functions and Inngest batches: paired shadow runs and both cohorts.",
    ),
    Entry(
        "rollout",
        "senso_cli.commands.rollout:app",
        "Move orgs from Inngest to Step Functions in gated stages.",
    ),
    Entry(
        "rollback",
        "senso_cli.commands.rollout:rollback",
        "Put every org back on Inngest: percentage 0, Step Functions schedule off, Inngest "
        "schedule on, optionally running executions stopped.",
    ),
    Entry(
        "validate",
        "senso_cli.commands.validate:validate",
        "Check the state machine, the step handlers, Terraform, the Dockerfile and (with --env) "
        "the AWS environment, each with pass/fail and a reason.",
    ),
    Entry(
        "cost-estimate",
        "senso_cli.commands.cost:cost_estimate",
        "Estimate the monthly cost: Step Functions transitions (counted from the real ASL), "
        "Fargate task-hours, CloudWatch Logs, Secrets Manager and KMS, NAT, ECR, the database, "
        "and the provider/LLM cost per cell, side by side with the Inngest plan it replaces.",
    ),
    Entry(
        "deploy",
        "senso_cli.commands.deploy:deploy",
        "Build and push the step-handler image, then terraform init / plan / apply with its "
        "tag, then refresh the environment in the config file from Terraform's outputs.",
    ),
    Entry(
        "env",
        "senso_cli.commands.env:app",
        "Named AWS environments (region, state machine, cluster, logs).",
    ),
    Entry(
        "trigger-batch",
        "senso_cli.commands.trigger_batch:trigger_batch",
        "Start the workflow for many orgs: from a file, all of them, or those scheduled on a day.",
    ),
    Entry(
        "logs",
        "senso_cli.commands.logs:logs",
        "Handler and state machine logs interleaved by time (AWS), or the local history events.",
    ),
)
