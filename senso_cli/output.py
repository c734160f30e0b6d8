"""Where the CLI writes: Rich consoles for people, plain JSON for programs.

Only command modules use these; services return data and never print.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _default(value: Any) -> Any:
    from handlers.config_model import Secret

    if hasattr(value, "model_dump"):  # a pydantic model (pydantic is not imported to check)
        return value.model_dump(mode="json")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (UUID, Path)):
        return str(value)
    if isinstance(value, Secret) or type(value).__name__ == "SecretStr":
        return "********"
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(value: Any) -> str:
    return json.dumps(value, default=_default, indent=2, sort_keys=False)


def print_json(value: Any) -> None:
    # Plain print, not Rich: JSON must not be wrapped or coloured.
    print(to_json(value))  # noqa: T201
