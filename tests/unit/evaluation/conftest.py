"""Fixtures for the evaluation tests: a local chat-completions server and the labelled set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.evaluation.fake_chat_server import FakeChatServer, running_chat_server

LABELLED_SET = Path(__file__).with_name("labelled_answers.yaml")


@pytest.fixture
def chat_server() -> Iterator[FakeChatServer]:
    with running_chat_server() as server:
        yield server


@pytest.fixture(scope="session")
def labelled_answers() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = yaml.safe_load(LABELLED_SET.read_text(encoding="utf-8"))
    return rows
