"""The product tables as senso needs them: one definition for the owned reconstruction's DDL,
the shadow copies in schema `senso`, and `senso db check` against an external database.

Columns are the ones domain.md section 1 lists. The reconstruction has primary keys and plain
indexes but no unique or foreign-key constraint: the product database may have none, so senso
never relies on them (its exactly-once keys live in schema `senso`, see migrations 0001).
`required=False` marks columns senso creates in its reconstruction but never reads or writes,
so `db check` does not demand them from a real product database.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.db.tables import BATCH_WRITTEN, Tables, shadow_name

# Type families: what information_schema.columns.data_type may say for each expected type.
COMPATIBLE: dict[str, frozenset[str]] = {
    "uuid": frozenset({"uuid"}),
    "text": frozenset({"text", "character varying", "character"}),
    "boolean": frozenset({"boolean"}),
    "integer": frozenset({"integer", "bigint", "smallint", "numeric"}),
    "numeric": frozenset({"numeric", "double precision", "real", "integer", "bigint"}),
    "timestamptz": frozenset({"timestamp with time zone", "timestamp without time zone"}),
    "jsonb": frozenset({"jsonb", "json"}),
    "text[]": frozenset({"ARRAY"}),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    ddl: str = ""  # NOT NULL / DEFAULT clauses of the reconstruction
    required: bool = True


def _c(name: str, type_: str, ddl: str = "", *, required: bool = True) -> Column:
    return Column(name, type_, ddl, required)


_NOW = "NOT NULL DEFAULT now()"

COLUMNS: dict[str, list[Column]] = {
    "partners": [
        _c("partner_id", "uuid", "PRIMARY KEY"),
        _c("name", "text", "NOT NULL"),
        _c("slug", "text", required=False),
        _c("created_at", "timestamptz", _NOW, required=False),
    ],
    "networks": [
        _c("network_id", "uuid", "PRIMARY KEY"),
        _c("partner_id", "uuid"),
        _c("name", "text"),
        _c("slug", "text", required=False),
    ],
    "orgs": [
        _c("org_id", "uuid", "PRIMARY KEY"),
        _c("name", "text", "NOT NULL"),
        _c("network_id", "uuid", required=False),
        _c("industry_id", "uuid", required=False),
        _c("partner_id", "uuid"),
        _c("is_free_tier", "boolean", "NOT NULL DEFAULT false"),
        _c("created_at", "timestamptz", _NOW),
        _c("deleted_at", "timestamptz"),
    ],
    "org_websites": [
        _c("org_website_id", "uuid", "PRIMARY KEY", required=False),
        _c("org_id", "uuid", "NOT NULL"),
        _c("url", "text", "NOT NULL"),
        _c("created_at", "timestamptz", _NOW),
    ],
    "org_schedules": [
        _c("org_id", "uuid", "NOT NULL"),
        # 0 = Monday ... 6 = Sunday, as the old scheduler computed it.
        _c("day_of_week", "integer", "NOT NULL"),
    ],
    "wholesale_pricing": [
        _c("config_id", "uuid", "PRIMARY KEY"),
        _c("partner_id", "uuid", "NOT NULL"),
        _c("action", "text", "NOT NULL"),
        _c("wholesale_fixed_price", "numeric"),
        _c("wholesale_margin_pct", "numeric"),
    ],
    "geo_questions": [
        _c("geo_question_id", "uuid", "PRIMARY KEY"),
        _c("org_id", "uuid"),
        _c("network_id", "uuid", required=False),
        _c("question_text", "text", "NOT NULL"),
        _c("type", "text"),
        _c("geo_pool_id", "uuid", required=False),
        _c("tags", "text[]", "NOT NULL DEFAULT '{}'", required=False),
        _c("created_at", "timestamptz", _NOW),
    ],
    "geo_models": [
        _c("geo_model_id", "uuid", "PRIMARY KEY"),
        _c("org_id", "uuid", "NOT NULL"),
        _c("name", "text", "NOT NULL"),
        _c("created_at", "timestamptz", _NOW),
    ],
    "org_locations": [
        _c("org_location_id", "uuid", "PRIMARY KEY"),
        _c("org_id", "uuid", "NOT NULL"),
        _c("country_code", "text", "NOT NULL"),
        _c("region_name", "text"),
        _c("created_at", "timestamptz", _NOW),
    ],
    "question_run_batches": [
        _c("batch_id", "uuid", "PRIMARY KEY"),
        _c("scope", "text", "NOT NULL DEFAULT 'org'"),
        _c("org_id", "uuid"),
        _c("network_id", "uuid", required=False),
        _c("batch_type", "text", "NOT NULL DEFAULT 'manual'"),
        _c("status", "text", "NOT NULL DEFAULT 'pending'"),
        _c("total_questions", "integer", "NOT NULL DEFAULT 0"),
        _c("completed_questions", "integer", "NOT NULL DEFAULT 0"),
        _c("failed_questions", "integer", "NOT NULL DEFAULT 0"),
        _c("is_latest", "boolean", "NOT NULL DEFAULT false"),
        _c("started_at", "timestamptz"),
        _c("completed_at", "timestamptz"),
        _c("created_at", "timestamptz", _NOW),
        _c("updated_at", "timestamptz", _NOW),
    ],
    "question_runs": [
        _c("question_run_id", "uuid", "PRIMARY KEY"),
        _c("geo_question_id", "uuid"),
        _c("model_id", "uuid"),
        _c("location_id", "uuid"),
        _c("response_text", "text"),
        _c("input_tokens", "integer"),
        _c("output_tokens", "integer"),
        _c("total_cost", "numeric"),
        _c("batch_id", "uuid"),
        _c("run_model", "text"),
        _c("run_country", "text"),
        _c("run_region", "text"),
        _c("is_latest", "boolean", "NOT NULL DEFAULT false"),
        _c("created_at", "timestamptz", _NOW),
        _c("updated_at", "timestamptz", _NOW),
    ],
    "org_evals": [
        _c("org_eval_id", "uuid", "PRIMARY KEY"),
        _c("question_run_id", "uuid", "NOT NULL"),
        _c("org_id", "uuid", "NOT NULL"),
        _c("mentioned", "boolean"),
        _c("citation", "boolean"),
        _c("sentiment", "text"),
        _c("mention_text", "text"),
        _c("mention_rank", "integer"),
        _c("input_tokens", "integer"),
        _c("output_tokens", "integer"),
        _c("total_cost", "numeric"),
        _c("created_at", "timestamptz", _NOW, required=False),
    ],
    "org_citations": [
        _c("org_citation_id", "uuid", "PRIMARY KEY"),
        _c("question_run_id", "uuid", "NOT NULL"),
        _c("org_id", "uuid", "NOT NULL"),
        _c("url", "text", "NOT NULL"),
        _c("type", "text"),
        _c("dead_link", "boolean", "NOT NULL DEFAULT false"),
        _c("created_at", "timestamptz", _NOW, required=False),
    ],
    "org_competitors": [
        _c("org_competitor_id", "uuid", "PRIMARY KEY"),
        _c("question_run_id", "uuid", "NOT NULL"),
        _c("org_id", "uuid", "NOT NULL"),
        _c("name", "text", "NOT NULL"),
        _c("input_tokens", "integer"),
        _c("output_tokens", "integer"),
        _c("total_cost", "numeric"),
        _c("created_at", "timestamptz", _NOW, required=False),
    ],
    "credit_ledger": [
        _c("entry_id", "uuid", "PRIMARY KEY"),
        _c("org_id", "uuid"),
        _c("partner_id", "uuid"),
        _c("amount", "numeric", "NOT NULL"),
        _c("source_type", "text", "NOT NULL"),
        _c("source_id", "text", "NOT NULL"),
        _c("metadata", "jsonb", "NOT NULL DEFAULT '{}'"),
        _c("payer_type", "text"),
        _c("created_at", "timestamptz", _NOW),
    ],
    "credit_balances": [
        _c("balance_id", "uuid", "PRIMARY KEY", required=False),
        _c("org_id", "uuid"),
        _c("partner_id", "uuid"),
        _c("current_balance", "numeric", "NOT NULL DEFAULT 0"),
        _c("updated_at", "timestamptz", _NOW, required=False),
    ],
}

# Plain (never unique) indexes on the columns senso joins and filters on.
INDEXES: dict[str, list[str]] = {
    "question_run_batches": ["org_id, created_at"],
    "question_runs": ["batch_id", "geo_question_id"],
    "org_evals": ["question_run_id"],
    "org_citations": ["question_run_id"],
    "org_competitors": ["question_run_id"],
    "credit_ledger": ["org_id", "source_id", "(metadata->>'batch_id')"],
    "credit_balances": ["org_id", "partner_id"],
    "geo_questions": ["org_id"],
    "geo_models": ["org_id"],
    "org_locations": ["org_id"],
}


def _sql_type(type_: str) -> str:
    return {"numeric": "numeric(18, 8)", "integer": "integer"}.get(type_, type_)


def create_table_sql(physical: str, logical: str, *, strict: bool = True) -> str:
    """CREATE TABLE IF NOT EXISTS for one table; `strict=False` drops every constraint."""
    lines = []
    for column in COLUMNS[logical]:
        extra = column.ddl if strict else column.ddl.replace("PRIMARY KEY", "").strip()
        lines.append(f"    {column.name} {_sql_type(column.type)} {extra}".rstrip())
    body = ",\n".join(lines)
    statements = [f"CREATE TABLE IF NOT EXISTS {physical} (\n{body}\n)"]
    for i, columns in enumerate(INDEXES.get(logical, [])):
        index = f"{physical.replace('.', '_')}_i{i}"
        statements.append(f"CREATE INDEX IF NOT EXISTS {index} ON {physical} ({columns})")
    return ";\n".join(statements) + ";\n"


def reconstruction_tables(tables: Tables) -> list[tuple[str, str]]:
    """(physical, logical) of the product tables the owned reconstruction creates."""
    return [(physical, logical) for logical, physical in tables.product_items()]


def shadow_tables() -> list[tuple[str, str]]:
    """(physical, logical) of senso's shadow copies of the tables a batch writes."""
    return [(shadow_name(name), name) for name in BATCH_WRITTEN]


def reconstruction_sql(tables: Tables, *, strict: bool = True) -> str:
    """The product tables as the old system left them (owned mode and tests)."""
    schemas = {p.split(".")[0] for _, p in tables.product_items() if "." in p}
    head = "".join(f"CREATE SCHEMA IF NOT EXISTS {schema};\n" for schema in sorted(schemas))
    return head + "".join(
        create_table_sql(physical, logical, strict=strict)
        for physical, logical in reconstruction_tables(tables)
    )
