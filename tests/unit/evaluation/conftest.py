"""Fixtures for the evaluation tests: a local chat-completions server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.evaluation.fake_chat_server import FakeChatServer, running_chat_server


@pytest.fixture
def chat_server() -> Iterator[FakeChatServer]:
    with running_chat_server() as server:
        yield server
