"""Deterministic name variations and the cache fingerprint."""

from __future__ import annotations

import pytest

from handlers.errors import InvalidInputError
from handlers.evaluation import DeterministicVariationGenerator, variations_fingerprint


def names(org: str, websites: list[str] | None = None) -> list[str]:
    return DeterministicVariationGenerator().generate(org, websites or []).names


def test_exact_name_first_with_case_variants() -> None:
    result = names("Acme Bank")
    assert result[:3] == ["Acme Bank", "acme bank", "ACME BANK"]


def test_compound_forms_spaced_unspaced_hyphenated() -> None:
    assert {"Acme Bank", "AcmeBank", "Acme-Bank", "acmebank"} <= set(names("Acme Bank"))


def test_camel_case_names_are_split() -> None:
    assert {"FirstBank", "First Bank", "First-Bank"} <= set(names("FirstBank"))
    assert {"HubSpot", "Hub Spot"} <= set(names("HubSpot"))
    assert not {"i Phone", "i-Phone"} & set(names("iPhone"))
    assert not {"Mc Donald", "Mc-Donald"} & set(names("McDonald"))


def test_legal_suffixes_short_forms_and_plausibility() -> None:
    acme = names("Acme Co., Inc.")
    assert "Acme" in acme and "Acme Inc" in acme and "Acme LLC" in acme
    # Banks and credit unions are not styled with company suffixes.
    assert not any(n.endswith(("Inc", "LLC")) for n in names("Acme Bank"))
    assert "Navy Federal" in names("Navy Federal Credit Union")
    assert "Navy FCU" in names("Navy Federal Credit Union")
    assert "Navy" not in names("Navy Federal Credit Union")


def test_generic_words_are_dropped_while_the_rest_stays_distinctive() -> None:
    assert "Alliant" in names("Alliant Credit Union")
    assert "Alliant Credit" not in names("Alliant Credit Union")
    assert "Roto-Rooter" in names("Roto-Rooter Plumbing & Water Cleanup")
    assert "Bright Smile" in names("Bright Smile Dental Group")
    assert "Orangetheory" in names("Orangetheory Fitness")
    # A very common word alone is nobody's name; the bank form is.
    citizens = names("Citizens Financial Group")
    assert "Citizens" not in citizens and "Citizens Bank" in citizens
    assert "Ally" in names("Ally Financial") and "Ally Bank" in names("Ally Financial")
    # Airlines is not a generic word: "Alaska" is a place.
    assert "Alaska" not in names("Alaska Airlines")


def test_acronyms_only_for_multi_word_names_with_three_letters() -> None:
    assert "NFCU" in names("Navy Federal Credit Union")
    assert "RBC" in names("Royal Bank of Canada")
    assert not any(n.isupper() and len(n) <= 2 for n in names("Acme Bank"))
    assert "AB" not in names("Acme Bank")
    assert all(n.upper() != n or n == "SOFI" for n in names("SoFi"))


def test_domain_roots_from_websites() -> None:
    result = names("Navy Federal Credit Union", ["https://www.navyfederal.org/", "nfcu.co.uk"])
    assert result[-2:] == ["navyfederal", "nfcu"]


def test_never_empty_or_whitespace_and_no_duplicates() -> None:
    for org in [
        "Acme Bank",
        "  Acme   Bank  ",
        "The Coca-Cola Company",
        "A",
        "IBM",
        "Bank of America",
    ]:
        result = names(org)
        assert result and all(n.strip() == n and n for n in result)
        assert len(result) == len(set(result))


def test_empty_name_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError):
        names("   ")


def test_deterministic_and_stable_order() -> None:
    first = names("Navy Federal Credit Union", ["navyfederal.org"])
    assert all(names("Navy Federal Credit Union", ["navyfederal.org"]) == first for _ in range(3))


def test_generator_label_and_zero_cost() -> None:
    result = DeterministicVariationGenerator().generate("Acme", [])
    assert result.generator == "deterministic" and result.cost == 0 and result.input_tokens == 0


def test_fingerprint_normalises_inputs_and_changes_with_them() -> None:
    base = variations_fingerprint("Acme Bank", ["https://acme.com"])
    assert variations_fingerprint("  Acme   Bank ", ["ACME.com/"]) == base
    assert variations_fingerprint("Acme Bank", ["b.com", "a.com"]) == variations_fingerprint(
        "Acme Bank", ["a.com", "b.com"]
    )
    assert variations_fingerprint("Acme Bank", []) != base
    assert variations_fingerprint("Acme Banking", ["https://acme.com"]) != base
    assert len(base) == 64 and int(base, 16) >= 0
