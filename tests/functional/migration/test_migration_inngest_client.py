"""The Inngest client against a local server that behaves as Inngest documents."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from handlers.errors import InvalidInputError, NotFoundError, TransientError
from senso_cli.inngest import (
    InngestAuthError,
    InngestClient,
    InngestNotFoundError,
    InngestRequestError,
    InngestTransientError,
    org_evaluation_event_id,
)
from tests.fakes_inngest import FakeInngest

ORG = "7b0c5f0e-8f43-4c1e-9a39-2f0f0d5b7a11"


@pytest.fixture
def inngest() -> Iterator[FakeInngest]:
    with FakeInngest() as server:
        yield server


def client_for(server: FakeInngest, **overrides: str) -> InngestClient:
    options = {"event_key": server.event_key, "signing_key": server.signing_key} | overrides
    return InngestClient(event_api_url=server.url, api_url=server.url, timeout_s=0.5, **options)


def test_send_is_idempotent_per_event_id(inngest: FakeInngest) -> None:
    event_id = org_evaluation_event_id(ORG, date(2025, 3, 1))
    assert event_id == f"org-eval-{ORG}-20250301-a1"
    with client_for(inngest) as client:
        first = client.send_org_evaluation(
            ORG, event_id=event_id, triggered_by="automatic_scheduler", user_id="u-1"
        )
        again = client.send_org_evaluation(ORG, event_id=event_id)
        assert first.event_id == again.event_id == event_id
        runs = client.event_runs(first.ids[0])
        assert client.event_runs(again.ids[0]) == []
    assert len(inngest.runs) == 1 and len(runs) == 1
    sent = inngest.events[first.ids[0]]
    assert sent == {
        "name": "org.evaluation.process",
        "id": event_id,
        "data": {"org_id": ORG, "triggered_by": "automatic_scheduler", "user_id": "u-1"},
    }
    method, path, headers = inngest.requests[0]
    assert (method, path) == ("POST", f"/e/{inngest.event_key}")
    assert "authorization" not in headers


def test_runs_of_an_event_and_run_status(inngest: FakeInngest) -> None:
    with client_for(inngest) as client:
        sent = client.send_org_evaluation(ORG, event_id="e-1")
        (run,) = client.event_runs(sent.ids[0])
        assert (run.status, run.finished, run.event_id) == ("Running", False, sent.ids[0])
        inngest.complete(run.run_id, {"status": "completed", "batch_id": "b-1"})
        done = client.run(run.run_id)
    assert done.finished and done.status == "Completed"
    assert done.output == {"status": "completed", "batch_id": "b-1"}
    assert done.function_id == "process-org-evaluation" and done.ended_at
    _, path, headers = inngest.requests[-1]
    assert path == f"/v1/runs/{run.run_id}"
    assert headers["authorization"] == f"Bearer {inngest.signing_key}"


def test_bulk_cancellation_by_time_range(inngest: FakeInngest) -> None:
    with client_for(inngest) as client:
        sent = client.send_org_evaluation(ORG, event_id="e-2")
        now = datetime.now(UTC)
        cancellation = client.cancel_runs(now - timedelta(hours=1), now + timedelta(minutes=1))
        (run,) = client.event_runs(sent.ids[0])
        with pytest.raises(InvalidInputError):
            client.cancel_runs(now, now - timedelta(hours=1))
    assert run.status == "Cancelled"
    assert cancellation.function_id == "process-org-evaluation"
    assert cancellation.cancellation_id == inngest.cancellations[0]["id"]
    assert cancellation.started_after.endswith("Z") and cancellation.expression is None


def test_bad_keys_are_auth_errors_that_never_show_the_key(
    inngest: FakeInngest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_event_key = "evt-WRONG-secret-123"
    wrong_signing_key = "signkey-WRONG-secret-456"
    with client_for(inngest, event_key=wrong_event_key, signing_key=wrong_signing_key) as client:
        with pytest.raises(InngestAuthError) as sent:
            client.send_org_evaluation(ORG, event_id="e-3")
        with pytest.raises(InngestAuthError) as read:
            client.run("01HXYZ")
    assert isinstance(sent.value, InvalidInputError)
    assert "event key" in sent.value.message and "HTTP 401" in sent.value.message
    assert "signing key" in read.value.message
    texts = [
        str(sent.value),
        str(read.value),
        sent.value.hint or "",
        read.value.hint or "",
        caplog.text,
    ]
    for text in texts:
        assert wrong_event_key not in text and wrong_signing_key not in text
    assert "/e/" in caplog.text  # httpx did log the request, with the key replaced


def test_no_event_key_configured(inngest: FakeInngest) -> None:
    with client_for(inngest, event_key="") as client, pytest.raises(InngestAuthError) as exc:
        client.send_org_evaluation(ORG, event_id="e-4")
    assert "no Inngest event key" in exc.value.message
    assert inngest.requests == []


def test_server_errors_and_throttling_are_transient(inngest: FakeInngest) -> None:
    inngest.fail_next(502, {"error": "bad gateway"})
    inngest.fail_next(429, {"error": "rate limited"})
    with client_for(inngest) as client:
        with pytest.raises(InngestTransientError) as gateway:
            client.send_org_evaluation(ORG, event_id="e-5")
        with pytest.raises(InngestTransientError):
            client.event_runs("01HXYZ")
        assert isinstance(gateway.value, TransientError)
        assert "HTTP 502 (bad gateway)" in gateway.value.message
        inngest.fail_next(200, None, delay_s=1.0)
        with pytest.raises(InngestTransientError, match="timed out"):
            client.run("01HXYZ")


def test_unknown_ids_and_bad_requests(inngest: FakeInngest) -> None:
    with client_for(inngest) as client:
        with pytest.raises(InngestNotFoundError) as missing:
            client.run("01NOPE")
        assert isinstance(missing.value, NotFoundError)
        with pytest.raises(InngestNotFoundError):
            client.event_runs("01NOPE")
        inngest.fail_next(400, {"error": "function_id is required"})
        now = datetime.now(UTC)
        with pytest.raises(InngestRequestError, match="function_id is required"):
            client.cancel_runs(now - timedelta(hours=1), now)


def test_unreachable_server_is_transient() -> None:
    with FakeInngest() as server:
        url = server.url
    client = InngestClient(event_key="k-secret", api_url=url, event_api_url=url, timeout_s=0.5)
    with client, pytest.raises(InngestTransientError) as exc:
        client.send_org_evaluation(ORG, event_id="e-6")
    assert "cannot reach 127.0.0.1" in exc.value.message
    assert "k-secret" not in str(exc.value)


def test_event_ids_are_safe_and_distinct() -> None:
    day = date(2025, 3, 1)
    assert org_evaluation_event_id(ORG, day, 2).endswith("-20250301-a2")
    odd = org_evaluation_event_id("org with spaces/and slashes", day)
    assert " " not in odd and "/" not in odd
    assert odd != org_evaluation_event_id("org_with_spaces_and_slashes", day)
    with pytest.raises(InvalidInputError):
        org_evaluation_event_id(ORG, day, 0)
