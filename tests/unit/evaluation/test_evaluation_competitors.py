"""Deterministic competitor extraction from markdown structure."""

from __future__ import annotations

from handlers.evaluation import DeterministicCompetitorExtractor

ORG = "Acme Bank"
VARIATIONS = ["Acme Bank", "acme bank", "AcmeBank", "acmebank"]


def competitors(answer: str) -> list[str]:
    return DeterministicCompetitorExtractor().extract(answer, ORG, VARIATIONS).competitors


def test_numbered_list_leads_with_bold_names() -> None:
    answer = (
        "## Best Banks\n\n"
        "1. **Chase** – large network.\n"
        "2. **Acme Bank** – low fees.\n"
        "3. Capital One: good app.\n"
        "4. **Marcus by Goldman Sachs** (online) – high APY.\n"
    )
    assert competitors(answer) == ["Chase", "Capital One", "Marcus by Goldman Sachs"]


def test_table_first_column_without_header() -> None:
    answer = (
        "| Bank | Fee |\n|---|---|\n| **Ally Bank** | $0 |\n| Acme Bank | $0 |\n"
        "| [Discover](https://discover.com) | $0 |"
    )
    assert competitors(answer) == ["Ally Bank", "Discover"]


def test_bold_names_and_link_texts_in_prose() -> None:
    answer = "Compare **SoFi** with [Earnest](https://earnest.com) before you refinance."
    assert competitors(answer) == ["SoFi", "Earnest"]


def test_generic_words_headings_and_prose_are_excluded() -> None:
    answer = (
        "## Key Features\n\n"
        "### Top Credit Unions\n\n"
        "- **Low fees**: most accounts are free.\n"
        "- **Pros**: convenient.\n"
        "- **4.50% APY** on savings.\n"
        "- No monthly maintenance fees\n"
        "**Bottom line:** shop around.\n"
        "| Feature | Why |\n|---|---|\n| Mobile App | Convenience |\n"
    )
    assert competitors(answer) == []


def test_the_org_itself_and_pieces_of_its_name_are_excluded() -> None:
    answer = "- **Acme Bank Mobile App** – new.\n- **Acme** – short.\n- **Chime** – fintech."
    assert competitors(answer) == ["Chime"]


def test_deduplicated_case_insensitively_in_order_of_first_appearance() -> None:
    answer = (
        "1. **Starling Bank** – digital.\n2. **Monzo** – app.\n"
        "| Bank | Fee |\n|---|---|\n| MONZO | £0 |\n| Starling | £0 |\n"
    )
    assert competitors(answer) == ["Starling Bank", "Monzo"]


def test_numbered_headings_count_as_list_items() -> None:
    answer = "### 1. Wells Fargo\nBig bank.\n### 2. U.S. Bank\nAlso big.\n## Summary\n"
    assert competitors(answer) == ["Wells Fargo", "U.S. Bank"]


def test_deterministic_extraction_has_no_cost() -> None:
    result = DeterministicCompetitorExtractor().extract("**Chase**", ORG, VARIATIONS)
    assert result.usage.cost == 0 and result.usage.input_tokens == 0
