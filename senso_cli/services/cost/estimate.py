"""The monthly estimate: quantities from the workload times prices from the pricing file.

Every line names its pricing key, so a reader can trace each dollar to a source URL and a date,
and says whether its price is an assumption and whether its quantity was assumed, measured or
is fixed by the stack (one secret, one KMS key...).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from senso_cli.services.cost.pricing import PriceBook
from senso_cli.services.cost.workload import Workload

Section = Literal["stack", "providers", "inngest"]
Basis = Literal["assumed", "measured", "fixed"]
SECTION_TITLES: dict[Section, str] = {
    "stack": "Step Functions stack on AWS",
    "providers": "Providers and LLMs (the same under either orchestrator)",
    "inngest": "The Inngest plan it replaces",
}


@dataclass(frozen=True)
class CostLine:
    section: Section
    item: str
    quantity: float
    unit: str
    key: str
    unit_usd: float
    monthly_usd: float
    price_assumption: bool
    quantity_basis: Basis
    basis: str


@dataclass
class Estimate:
    region: str
    pricing_file: str
    workload: Workload
    lines: list[CostLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def total(self, section: Section) -> float:
        return sum(line.monthly_usd for line in self.lines if line.section == section)

    @property
    def totals(self) -> dict[str, float]:
        stack, providers, inngest = (self.total(s) for s in ("stack", "providers", "inngest"))
        return {
            "stack": stack,
            "providers": providers,
            "inngest": inngest,
            "step_functions_with_providers": stack + providers,
            "inngest_with_providers": inngest + providers,
            "difference": stack - inngest,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "pricing_file": self.pricing_file,
            "workload": self.workload.as_dict(),
            "lines": [asdict(line) for line in self.lines],
            "totals": self.totals,
            "notes": self.notes,
        }


class _Lines:
    def __init__(self, book: PriceBook) -> None:
        self.book = book
        self.lines: list[CostLine] = []

    def add(
        self,
        section: Section,
        item: str,
        quantity: float,
        key: str,
        basis: str,
        quantity_basis: Basis = "assumed",
        *,
        unit_usd: float | None = None,
        unit: str | None = None,
    ) -> None:
        price = self.book.price(key) if unit_usd is None else None
        usd = price.amount if price is not None else float(unit_usd or 0.0)
        self.lines.append(
            CostLine(
                section=section,
                item=item,
                quantity=quantity,
                unit=unit or (price.unit if price else ""),
                key=key,
                unit_usd=usd,
                monthly_usd=quantity * usd,
                price_assumption=price.assumption if price else False,
                quantity_basis=quantity_basis,
                basis=basis,
            )
        )


def estimate(book: PriceBook, workload: Workload, *, architecture: str | None = None) -> Estimate:
    """The month's cost, line by line, for `workload` at `book`'s prices."""
    a = book.assume
    days, hours = float(a("days_per_month")), float(a("hours_per_month"))
    measured = set(workload.measured)
    arch = (architecture or str(a("architecture"))).lower()
    minimum = book.usd("fargate.minimum_seconds")
    retry = workload.retry_rate
    executions = workload.orgs_per_day * days
    cells = executions * workload.cells_per_org
    tasks_per_execution = len(workload.task_states) * (1 + retry)
    dispatcher_runs = float(a("dispatcher_runs_per_day")) * days
    task_starts = executions * tasks_per_execution + dispatcher_runs
    timing: Basis = "measured" if any(m.startswith("seconds:") for m in measured) else "assumed"
    cell_basis: Basis = "measured" if "cells_per_org" in measured else "assumed"
    lines = _Lines(book)

    # Step Functions: the success path, plus one transition per retried attempt.
    per_execution = workload.transitions_per_execution + len(workload.task_states) * retry
    free = book.usd("stepfunctions.free_transitions")
    transitions = max(0.0, executions * per_execution - free)
    lines.add(
        "stack",
        "Step Functions state transitions",
        transitions,
        "stepfunctions.state_transition",
        f"{executions:,.0f} executions x {per_execution:.2f} transitions "
        f"({workload.transitions_per_execution} on the ASL's success path + "
        f"{len(workload.task_states)} Tasks x {retry:.0%} retries) - {free:,.0f} free "
        "(stepfunctions.free_transitions)",
        "measured" if "retry_rate" in measured else "assumed",
    )

    # Fargate: every attempt of every Task, billed at least the minimum, plus the dispatcher.
    billed = sum(max(s, minimum) for s in workload.task_seconds.values()) * (1 + retry)
    dispatcher = dispatcher_runs * max(float(a("dispatcher_seconds")), minimum)
    task_hours = (executions * billed + dispatcher) / 3600
    vcpu, memory = float(a("task_vcpu")), float(a("task_memory_gb"))
    detail = (
        f"{executions:,.0f} executions x {billed:,.0f} billed task-seconds + "
        f"{dispatcher_runs:g} dispatcher runs = {task_hours:,.1f} task-hours"
    )
    lines.add(
        "stack",
        f"Fargate vCPU ({vcpu:g} vCPU, {arch})",
        task_hours * vcpu,
        f"fargate.{arch}.vcpu_hour",
        detail,
        timing,
    )
    lines.add(
        "stack",
        f"Fargate memory ({memory:g} GB)",
        task_hours * memory,
        f"fargate.{arch}.gb_hour",
        detail,
        timing,
    )

    # CloudWatch Logs: ingestion, and the steady-state archive under the retention period.
    ingest = (task_starts * float(a("log_kb_per_task")) + cells * float(a("log_kb_per_cell"))) / 1e6
    lines.add(
        "stack",
        "CloudWatch Logs ingestion",
        ingest,
        "logs.ingest_gb",
        f"{task_starts:,.0f} tasks x {a('log_kb_per_task')} KB + {cells:,.0f} cells x "
        f"{a('log_kb_per_cell')} KB",
    )
    retention = float(a("log_retention_days"))
    lines.add(
        "stack",
        "CloudWatch Logs storage",
        ingest * retention / days,
        "logs.storage_gb_month",
        f"{ingest:,.2f} GB/month kept {retention:g} days (steady state, uncompressed)",
    )

    # Secrets Manager and its KMS key: ECS reads the secret once per injected key per task.
    reads = task_starts * float(a("secret_keys"))
    lines.add(
        "stack",
        "Secrets Manager secret",
        1,
        "secretsmanager.secret_month",
        "one JSON secret per environment",
        "fixed",
    )
    lines.add(
        "stack",
        "Secrets Manager API calls",
        reads,
        "secretsmanager.api_call",
        f"{task_starts:,.0f} task starts x {a('secret_keys')} injected keys",
    )
    lines.add("stack", "KMS key", 1, "kms.key_month", "one customer-managed key", "fixed")
    lines.add("stack", "KMS requests", reads, "kms.request", "one Decrypt per secret read")

    # NAT: the gateway, image pulls at every task start, provider traffic per cell.
    nat_gb = task_starts * float(a("image_gb")) + cells * float(a("provider_kb_per_cell")) / 1e6
    lines.add(
        "stack",
        "NAT gateway hours",
        float(a("nat_gateways")) * hours,
        "nat.gateway_hour",
        f"{a('nat_gateways')} gateway(s) x {hours:g} h",
        "fixed",
    )
    lines.add(
        "stack",
        "NAT data processed",
        nat_gb,
        "nat.gb_processed",
        f"{task_starts:,.0f} image pulls x {a('image_gb')} GB + {cells:,.0f} cells x "
        f"{a('provider_kb_per_cell')} KB (VPC endpoints for ECR/S3 remove the pulls)",
    )
    lines.add(
        "stack",
        "ECR storage",
        float(a("ecr_images_kept")) * float(a("image_gb")),
        "ecr.storage_gb_month",
        f"{a('ecr_images_kept')} images kept x {a('image_gb')} GB",
    )
    lines.add(
        "stack",
        "Database instance",
        hours,
        "rds.db_t4g_small_hour",
        f"{hours:g} h of one db.t4g.small (if the stack gets its own database)",
    )
    lines.add(
        "stack",
        "Database storage",
        float(a("database_storage_gb")),
        "rds.gp3_gb_month",
        f"{a('database_storage_gb')} GB gp3",
    )

    _providers(lines, book, workload, executions, cells, cell_basis)
    _inngest(lines, book, workload, executions, hours, days)
    result = Estimate(book.region, book.path, workload, lines.lines, list(workload.notes))
    result.notes.append(
        f"a month is {days:g} days ({hours:g} hours); prices are {book.region} "
        "list prices; lines marked assumed rest on the [assumptions] table"
    )
    return result


def _providers(
    lines: _Lines,
    book: PriceBook,
    workload: Workload,
    executions: float,
    cells: float,
    cell_basis: Basis,
) -> None:
    a = book.assume
    if workload.answer_usd_per_cell is not None:
        lines.add(
            "providers",
            "Provider answers",
            cells,
            "measured:question_runs.total_cost",
            f"{cells:,.0f} cells x measured ${workload.answer_usd_per_cell:.6f}",
            "measured",
            unit_usd=workload.answer_usd_per_cell,
            unit="cell",
        )
    else:
        lines.add(
            "providers",
            "Provider answers (BrightData)",
            cells,
            "brightdata.record",
            f"{executions:,.0f} runs x {workload.cells_per_org:g} cells",
            cell_basis,
        )
    if workload.eval_usd_per_cell is not None:
        lines.add(
            "providers",
            "Evaluation LLM calls",
            cells,
            "measured:org_evals.total_cost",
            f"{cells:,.0f} cells x measured ${workload.eval_usd_per_cell:.6f}",
            "measured",
            unit_usd=workload.eval_usd_per_cell,
            unit="cell",
        )
    else:
        share = float(a("candidate_share"))
        for item, model, count, tokens in (
            ("Competitor extraction", "gpt-4.1-mini", cells, "competitor"),
            ("Mention verification", "gpt-4.1", cells * share, "verification"),
        ):
            for side in ("input", "output"):
                per = float(a(f"{tokens}_{side}_tokens"))
                lines.add(
                    "providers",
                    f"{item} {side} tokens",
                    count * per,
                    f"openai.{model}.{side}_token",
                    f"{count:,.0f} calls x {per:g} tokens",
                    "assumed",
                )
    for side in ("input", "output"):
        per = float(a(f"variation_{side}_tokens"))
        lines.add(
            "providers",
            f"Name variations {side} tokens",
            executions * per,
            f"openai.gpt-4.1-mini.{side}_token",
            f"one call per run: {executions:,.0f} x {per:g} tokens",
        )


def _inngest(
    lines: _Lines,
    book: PriceBook,
    workload: Workload,
    executions: float,
    hours: float,
    days: float,
) -> None:
    a = book.assume
    steps = float(a("inngest_steps_per_run"))
    # Each org run is one function run plus its steps; the daily cron is one run plus one
    # memoised send step per org.
    used = executions * (1 + steps) + days * (1 + workload.orgs_per_day)
    included = book.usd("inngest.pro.included_executions")
    lines.add("inngest", "Inngest Pro plan", 1, "inngest.pro.month", "one plan", "fixed")
    lines.add(
        "inngest",
        "Inngest executions beyond the plan",
        max(0.0, used - included),
        "inngest.pro.execution_overage",
        f"{executions:,.0f} runs x {1 + steps:g} + {days:g} cron runs x "
        f"{1 + workload.orgs_per_day:,.0f} = {used:,.0f} executions - {included:,.0f} "
        "included (inngest.pro.included_executions)",
    )
    vcpu, memory = float(a("inngest_host_vcpu")), float(a("inngest_host_memory_gb"))
    lines.add(
        "inngest",
        f"Always-on service Inngest calls ({vcpu:g} vCPU)",
        hours * vcpu,
        "fargate.x86_64.vcpu_hour",
        f"{hours:g} h, x86 Fargate",
        "assumed",
    )
    lines.add(
        "inngest",
        f"Always-on service memory ({memory:g} GB)",
        hours * memory,
        "fargate.x86_64.gb_hour",
        f"{hours:g} h",
        "assumed",
    )
