"""`senso db check`: does a product database have what senso reads and writes? (read-only)

Compares information_schema with the product-table definition (handlers.db.product_schema)
through the table map, and names every missing table, missing column and incompatible type. It
runs no DDL and writes nothing, so it is safe against production.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.db.database import Database
from handlers.db.product_schema import COLUMNS, COMPATIBLE
from handlers.db.tables import split_name


@dataclass(frozen=True)
class Problem:
    table: str  # the physical name
    column: str | None
    kind: str  # missing_table | missing_column | incompatible_type
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "problem": self.kind,
            "detail": self.detail,
        }

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: {self.detail}"


@dataclass(frozen=True)
class CheckResult:
    checked_tables: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_product_tables(db: Database) -> CheckResult:
    """Every problem with the product tables senso needs; an empty list means compatible."""
    problems: list[Problem] = []
    items = db.tables.product_items()
    with db.connect(autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = on")
        for logical, physical in items:
            schema, table = split_name(physical)
            rows = conn.execute(
                """SELECT column_name, data_type FROM information_schema.columns
                   WHERE table_schema = %s AND table_name = %s""",
                (schema, table),
            ).fetchall()
            found = {row["column_name"]: row["data_type"] for row in rows}
            if not found:
                problems.append(
                    Problem(physical, None, "missing_table", f"table {physical} does not exist")
                )
                continue
            for column in COLUMNS[logical]:
                if not column.required:
                    continue
                actual = found.get(column.name)
                if actual is None:
                    problems.append(
                        Problem(
                            physical,
                            column.name,
                            "missing_column",
                            f"column missing (senso needs {column.type})",
                        )
                    )
                elif actual not in COMPATIBLE[column.type]:
                    problems.append(
                        Problem(
                            physical,
                            column.name,
                            "incompatible_type",
                            f"type {actual} is not compatible with {column.type}",
                        )
                    )
    return CheckResult(len(items), problems)
