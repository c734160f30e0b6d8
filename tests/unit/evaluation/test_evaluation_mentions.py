"""Mention detection: word boundaries, markdown, possessives, look-alikes, passages."""

from __future__ import annotations

from handlers.evaluation import DeterministicMentionVerifier, find_mentions
from handlers.evaluation.passages import join_passages, mention_passages

ACME = ["Acme Bank", "acme bank", "AcmeBank", "Acme-Bank", "acmebank"]


def texts(answer: str, variations: list[str] = ACME) -> list[str]:
    return [span.text for span in find_mentions(answer, variations)]


def test_mention_in_table_cell() -> None:
    answer = "| Bank | APY |\n|---|---|\n| Acme Bank | 4.1% |\n| Ally Bank | 4.0% |"
    spans = find_mentions(answer, ACME)
    assert [s.text for s in spans] == ["Acme Bank"]
    assert mention_passages(answer, spans) == ["| Acme Bank | 4.1% |"]


def test_mention_in_markdown_link_text_but_not_in_its_url() -> None:
    answer = "Open an account at [Acme Bank](https://www.acmebank.com/open)."
    spans = find_mentions(answer, ACME)
    # The URL also contains "acmebank", but a link target is a citation, not a mention.
    assert [(s.text, s.start) for s in spans] == [("Acme Bank", answer.index("Acme Bank"))]


def test_bare_url_alone_is_not_a_mention() -> None:
    assert texts("Rates are listed at https://acmebank.com/rates.") == []


def test_bare_domain_in_prose_is_a_mention() -> None:
    assert texts("Visit acmebank.com for current rates.") == ["acmebank"]


def test_possessive_straight_and_typographic_apostrophes() -> None:
    assert texts("Acme Bank's app is fast.") == ["Acme Bank"]
    assert texts("Acme Bank’s app is fast.") == ["Acme Bank"]


def test_bold_and_italic_markdown() -> None:
    assert texts("1. **Acme Bank** – low fees") == ["Acme Bank"]
    assert texts("_Acme Bank_ is local") == ["Acme Bank"]


def test_look_alike_names_do_not_match() -> None:
    answer = "Acmeville Savings and Acme Bankers Trust both lend locally; AcmeBanking is an app."
    assert texts(answer) == []


def test_no_mention() -> None:
    assert texts("Chase and Wells Fargo have the most branches.") == []


def test_hyphenated_and_unicode_punctuation_variants() -> None:
    assert texts("Acme\u2011Bank offers loans.") == ["Acme\u2011Bank"]
    assert texts("Acme\u00a0Bank offers loans.") == ["Acme\u00a0Bank"]
    assert texts("ACME BANK offers loans.") == ["ACME BANK"]


def test_longest_variation_wins_over_shorter_overlap() -> None:
    spans = find_mentions(
        "Navy Federal Credit Union is big.", ["Navy Federal", "Navy Federal Credit Union"]
    )
    assert [s.text for s in spans] == ["Navy Federal Credit Union"]


def test_empty_and_whitespace_variations_never_match() -> None:
    assert find_mentions("anything at all", ["", "   ", "a"]) == []


def test_acronyms_are_case_sensitive() -> None:
    assert texts("NFCU has great rates.", ["NFCU"]) == ["NFCU"]
    assert texts("the nfcu-style logo", ["NFCU"]) == []


def test_passages_are_paragraphs_items_and_rows_joined() -> None:
    answer = (
        "## Picks\n\n"
        "Many banks compete. Acme Bank has low fees. Others do not.\n\n"
        "- **Acme Bank** – great app,\n  wrapped onto a second line.\n"
        "  - sub-point about its app\n"
        "- **Ally** – online only.\n\n"
        "| Bank | Fee |\n|---|---|\n| Acme Bank | $0 |\n| Ally | $0 |\n"
    )
    passages = mention_passages(answer, find_mentions(answer, ACME))
    assert passages == [
        "Many banks compete. Acme Bank has low fees. Others do not.",
        "**Acme Bank** – great app,\n  wrapped onto a second line.\n  - sub-point about its app",
        "| Acme Bank | $0 |",
    ]
    assert join_passages(passages).count(" || ") == 2


def test_a_section_headed_by_the_org_is_one_passage_but_the_title_is_not() -> None:
    answer = (
        "# Acme Bank vs Ally\n\n"
        "Both are fine.\n\n"
        "## Acme Bank\n\nGood rates.\n\n- branches\n- app\n\n"
        "## Ally\n\nOnline only.\n\n"
        "**Acme Bank**\n- no fees\n- fast support\n\n**Other**\n- x\n"
    )
    passages = mention_passages(answer, find_mentions(answer, ACME))
    assert passages == [
        "Acme Bank vs Ally",
        "Acme Bank\n\nGood rates.\n\n- branches\n- app",
        "**Acme Bank**\n- no fees\n- fast support",
    ]


def test_only_the_orgs_link_in_a_paragraph_of_citations() -> None:
    answer = "Sources: [Acme Bank](https://acme.com/a), [Ally](https://ally.com/b). Both insured."
    assert mention_passages(answer, find_mentions(answer, ACME)) == [
        "[Acme Bank](https://acme.com/a)"
    ]


def test_deterministic_verifier_rejects_generic_lower_case_words() -> None:
    verifier = DeterministicMentionVerifier()
    answer = "You will not need to chase rates. Chase has 15,000 ATMs."
    spans = find_mentions(answer, ["Chase", "chase"])
    result = verifier.verify(answer, "Chase", spans)
    assert result.is_mention_verified
    assert [s.text for s in result.confirmed_spans] == ["Chase"]
    assert [s.start for s in result.confirmed_spans] == [answer.index("Chase")]

    only_verb = "You will not need to chase rates."
    assert not verifier.verify(
        only_verb, "Chase", find_mentions(only_verb, ["chase"])
    ).is_mention_verified


def test_deterministic_verifier_accepts_lower_case_brand() -> None:
    answer = "bunq is a Dutch neobank."
    result = DeterministicMentionVerifier().verify(answer, "bunq", find_mentions(answer, ["bunq"]))
    assert result.is_mention_verified


def test_a_table_comparing_the_org_in_a_column_is_one_passage() -> None:
    table = "| | Acme Bank | Ally |\n|---|---|---|\n| Fee | $0 | $0 |\n| APY | 4% | 3% |"
    answer = f"Compare:\n\n{table}\n\nDone."
    assert mention_passages(answer, find_mentions(answer, ACME)) == [table]
    rows = "| Bank | Fee |\n|---|---|\n| Acme Bank | $0 |\n| Ally | $0 |"
    assert mention_passages(rows, find_mentions(rows, ACME)) == ["| Acme Bank | $0 |"]


def test_a_bold_line_heads_only_the_list_under_it() -> None:
    answer = (
        "**Ally**\n- online\n\n**Acme Bank**\n- no fees\n- app\n\nThings to know:\n- fees vary\n"
    )
    assert mention_passages(answer, find_mentions(answer, ACME)) == [
        "**Acme Bank**\n- no fees\n- app"
    ]
