"""The labelled answer set of bench/labelled is a usable measure: big, varied, consistent."""

from __future__ import annotations

from collections import Counter

from bench.bench_eval import components_evaluator
from bench.labelled_set import METRICS, Prediction, accuracy, load_labelled_set, score


def test_set_is_large_and_varied() -> None:
    rows = load_labelled_set()
    assert len(rows) >= 60
    assert len({row.group for row in rows}) >= 5
    assert len({row.org_name for row in rows}) >= 30
    mentioned = [row for row in rows if row.expected_mention]
    # Like the golden set: many answers do not mention the org; mentions are mostly positive.
    assert 0.3 <= 1 - len(mentioned) / len(rows) <= 0.7
    sentiments = Counter(row.expected_sentiment for row in mentioned)
    assert sentiments["positive"] > sentiments["neutral"] + sentiments["negative"]
    assert sentiments["neutral"] and sentiments["negative"]


def test_every_row_is_labelled_with_a_reason_and_clean_text() -> None:
    for row in load_labelled_set():
        assert row.reason.strip(), row.id
        assert 700 <= len(row.response_text) <= 8000, row.id
        assert "⟦" not in row.response_text and "⟧" not in row.response_text, row.id
        assert (row.expected_sentiment != "") == row.expected_mention, row.id
        for url in row.expected_citations:
            assert url.startswith(("http://", "https://")) and not url.endswith("/"), row.id
            assert "utm_" not in url and "://www." not in url, row.id
        if row.expected_mention:
            for passage in row.expected_mention_text.split(" || "):
                assert passage in row.response_text, row.id


def test_scoring_follows_the_golden_rules() -> None:
    row = next(r for r in load_labelled_set() if r.expected_mention)
    exact = Prediction(True, row.expected_sov + 9.9, row.expected_sentiment, row.expected_citations)
    assert all(score(row, exact).values())
    off = Prediction(True, row.expected_sov + 10.5, "neutral", row.expected_citations | {"x"})
    assert score(row, off) == {
        "mention": True,
        "sov": False,
        "sentiment": row.expected_sentiment == "neutral",
        "citations": False,
    }
    absent = next(r for r in load_labelled_set() if not r.expected_mention)
    # A false expected mention requires a zero SOV; a sentiment is blanked when not mentioned.
    wrong = Prediction(False, 0.0, "positive", absent.expected_citations)
    assert all(score(absent, wrong).values())
    assert not score(absent, Prediction(True, 0.5, "positive", frozenset()))["sov"]


def test_offline_evaluator_agrees_with_the_labels() -> None:
    # The "done when" of the evaluation work: at least 90% of answers right on all four.
    evaluate = components_evaluator(None, None)
    rows = load_labelled_set()
    results = [score(row, evaluate(row)) for row in rows]
    figures = accuracy(results)
    failing = {
        row.id: [m for m in METRICS if not checks[m]]
        for row, checks in zip(rows, results, strict=True)
        if not all(checks.values())
    }
    assert figures["overall"] >= 90.0, failing
