"""Shared fixtures of the provider tests: a fake clock and a cell factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from handlers.providers import CellPrompt
from tests.fakes import FakeClock

MakeCell = Callable[..., CellPrompt]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_cell() -> MakeCell:
    def make(n: int = 1, **overrides: Any) -> CellPrompt:
        fields: dict[str, Any] = {
            "cell_key": f"q{n}:m1:l1",
            "question": f"What are the best credit unions for first-time buyers? (#{n})",
            "model": "gpt-4.1",
            "country_code": "US",
            "region_name": "Texas",
            "org_name": "Acme Credit Union",
            "org_websites": ["https://www.acmecu.org"],
        }
        fields.update(overrides)
        return CellPrompt(**fields)

    return make
