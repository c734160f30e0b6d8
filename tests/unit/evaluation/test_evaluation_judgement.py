"""Short forms trusted only as names, and VADER sentiment about the org (not the text)."""

from __future__ import annotations

from handlers.evaluation import DeterministicMentionVerifier, find_mentions
from handlers.evaluation.names import is_ordinary_word, short_forms
from handlers.evaluation.sentiment import judge_sentiment


def _verified(answer: str, org: str, variations: list[str]) -> bool:
    spans = find_mentions(answer, variations)
    return DeterministicMentionVerifier().verify(answer, org, spans).is_mention_verified


def test_ordinary_words_come_from_the_frequency_list() -> None:
    assert is_ordinary_word("Summit") and is_ordinary_word("chime")
    assert not is_ordinary_word("Alliant") and not is_ordinary_word("Patelco")
    assert short_forms("Summit Credit Union") == ["Summit"]


def test_an_ordinary_short_form_counts_only_where_it_stands_as_a_name() -> None:
    org, forms = "Summit Credit Union", ["Summit Credit Union", "Summit"]
    assert not _verified("Hike to the summit of Mount Diablo.", org, forms)
    assert not _verified("Try **Summit State Bank** downtown.", org, forms)
    assert not _verified("Summit meetings ran late. Rates rose.", org, forms)
    assert _verified("Members like **Summit** for its app.", org, forms)
    assert _verified("Options include UW Credit Union and Summit, both in Madison.", org, forms)
    assert _verified("| Summit | $6.2B |", org, forms)


def test_a_short_form_running_into_another_org_type_is_another_org() -> None:
    org, forms = "Alliant Credit Union", ["Alliant Credit Union", "Alliant"]
    assert not _verified("Alliant Energy raised rates in Iowa.", org, forms)
    assert not _verified("An Alliant-style approach is rare.", org, forms)
    assert _verified("Alliant pays 3.1% on savings.", org, forms)
    assert _verified("Book at Alliant Plano West today.", org, forms)


def test_praise_ratings_and_low_fees_are_positive() -> None:
    assert judge_sentiment(["Patelco is hard to beat on rates."], ["Patelco"]).sentiment == (
        "positive"
    )
    rated = judge_sentiment(["**Bright Smile Dental**\n★ 4.9 (1,052 reviews) · Dentist"], [])
    assert rated.sentiment == "positive" and ("rating 4.9", 0.6) in rated.terms
    assert judge_sentiment(["Free checking with no monthly fees."], []).sentiment == "positive"


def test_complaints_poor_ratings_and_fines_are_negative() -> None:
    assert judge_sentiment(["| Roto-Rooter | 2.3 (1,100) | Yes |"], []).sentiment == "negative"
    fined = "Regulators fined the bank $50 million over delays, and a lawsuit followed."
    assert judge_sentiment([fined], []).sentiment == "negative"


def test_facts_names_questions_and_the_assistant_are_neutral() -> None:
    facts = "Fees start at $3.99 for orders over $35, plus a service fee of about 5%."
    assert judge_sentiment([facts], []).sentiment == "neutral"
    # The org's name and other names carry no sentiment ("Progressive", "Hilton Honors").
    assert judge_sentiment(["Progressive sells auto policies."], ["Progressive"]).score == 0
    assert judge_sentiment(["Members join Hilton Honors for free nights."], []).sentiment in (
        "neutral",
        "positive",
    )
    assert judge_sentiment(["Is Acme still a good choice?"], []).score == 0
    unknown = "I could not find reliable information about Harborview Family Dental."
    assert judge_sentiment([unknown], ["Harborview Family Dental"]).sentiment == "neutral"


def test_a_name_inside_a_longer_name_is_another_org() -> None:
    org = "Community Financial Credit Union"
    forms = [org, "Community Financial"]
    assert not _verified("It is better than First Community Credit Union here.", org, [org])
    assert not _verified("**First Community Financial** has branches.", org, forms)
    assert _verified("At Community Financial Credit Union, we offer loans.", org, forms)
    assert _verified("About Community Financial: it is member-owned.", org, forms)


def test_an_org_named_like_a_domain_is_known_by_its_root() -> None:
    from handlers.evaluation import DeterministicVariationGenerator

    names = DeterministicVariationGenerator().generate("Senso.ai", []).names
    assert "Senso" in names
    assert _verified("Senso tracks how AI answers mention brands.", "Senso.ai", names)


def test_plain_facts_in_a_recommendation_answer_count_as_praise() -> None:
    from handlers.evaluation.sentiment import is_recommendation

    assert is_recommendation("## Best credit unions in Texas\n\n1. **A** ...")
    assert is_recommendation("Here are the top picks for savers:\n- A")
    assert not is_recommendation("Here is how the three best-known apps compare:\n- A")
    assert not is_recommendation("The largest credit unions by assets:\n| A |")
    assert not is_recommendation("Acme is fine ([x](https://nerdwallet.com/best/banks)).")
    facts = ["**Acme CU** – branches in 12 counties; membership by residence."]
    assert judge_sentiment(facts, recommended=True).sentiment == "positive"
    assert judge_sentiment(facts).sentiment == "neutral"
    # A complaint stays a complaint inside a "best of" list.
    fined = ["**Acme CU** – fined $5 million for overdraft practices; a lawsuit followed."]
    assert judge_sentiment(fined, recommended=True).sentiment == "negative"
