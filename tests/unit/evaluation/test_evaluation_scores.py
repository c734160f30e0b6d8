"""Share of voice (byte formula), mention rank and lexicon sentiment."""

from __future__ import annotations

import pytest

from handlers.evaluation import mention_rank, normalise_sentiment, passage_sentiment, share_of_voice


def test_sov_counts_utf8_bytes_not_characters() -> None:
    response = "Café Zürich — the best café. " * 2 + "Other text."
    mention = "Café Zürich — the best café."
    expected = 100 * len(mention.encode()) / len(response.encode())
    assert share_of_voice(mention, response, mentioned=True) == round(expected, 4)
    # Character counts would give a different (wrong) number.
    assert share_of_voice(mention, response, mentioned=True) != round(
        100 * len(mention) / len(response), 4
    )


def test_sov_counts_the_separators() -> None:
    response = "a" * 96 + "€"  # 99 bytes
    assert share_of_voice("ab || cd", response, mentioned=True) == round(800 / 99, 4)


def test_sov_is_zero_when_not_mentioned_or_empty() -> None:
    assert share_of_voice("Acme", "Acme is here", mentioned=False) == 0.0
    assert share_of_voice("", "Acme is here", mentioned=True) == 0.0
    assert share_of_voice(None, "Acme is here", mentioned=True) == 0.0


def test_sov_is_rounded_to_four_decimals() -> None:
    assert share_of_voice("x", "abc", mentioned=True) == 33.3333


ANSWER = (
    "1. **Chase** – big.\n2. **Ally** – online.\n3. **Acme Bank** – local.\n4. **Citi** – global."
)


def test_rank_counts_competitors_that_appear_first() -> None:
    position = ANSWER.index("Acme Bank")
    assert mention_rank(ANSWER, position, ["Citi", "Ally", "Chase"]) == 3


def test_rank_one_when_first_and_none_when_not_mentioned() -> None:
    assert mention_rank(ANSWER, 0, ["Chase", "Ally"]) == 1
    assert mention_rank(ANSWER, None, ["Chase"]) is None


def test_rank_ignores_competitors_absent_from_the_text() -> None:
    position = ANSWER.index("Acme Bank")
    assert mention_rank(ANSWER, position, ["Chase", "Wells Fargo"]) == 2


def test_rank_needs_a_capitalised_competitor() -> None:
    answer = "Pay up front. Acme Bank is local. Front is a tool."
    assert mention_rank(answer, answer.index("Acme"), ["Front"]) == 1


@pytest.mark.parametrize(
    ("passages", "expected"),
    [
        (["Acme Bank is highly recommended for its excellent service."], "positive"),
        (["Acme Bank was fined after a scandal and faces many complaints."], "negative"),
        (["| Acme Bank | $12 | 4 branches |"], "neutral"),
        (["Acme Bank has no hidden fees."], "positive"),
        (["Acme Bank is not recommended."], "negative"),
        (["Acme Bank offers strong rates.", "Some customers report slow transfers."], "neutral"),
    ],
)
def test_passage_sentiment(passages: list[str], expected: str) -> None:
    assert passage_sentiment(passages) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Positive", "positive"),
        (" NEGATIVE ", "negative"),
        ("mostly positive", "positive"),
        ("mixed", "neutral"),
        ("positive and negative", "neutral"),
        ("", None),
        (None, None),
    ],
)
def test_normalise_sentiment(label: str | None, expected: str | None) -> None:
    assert normalise_sentiment(label) == expected
