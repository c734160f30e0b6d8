"""The words of a simulated answer: an invented brand pool and a markdown composer.

Everything is drawn from a `random.Random` the caller seeds, so the same cell always reads the
same. The brands are invented (none is meant to be a real company) but look like the names an
AI answer lists, with plausible domains, so the evaluation (mention detection, competitor and
citation extraction) has realistic material to work on offline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SIMULATED_MARKER = "_(simulated answer: generated offline by senso, not by a real AI provider)_"


@dataclass(frozen=True)
class Brand:
    name: str
    domain: str


BRAND_POOL: tuple[Brand, ...] = (
    Brand("Brightwell Partners", "brightwellpartners.com"),
    Brand("Corvana", "corvana.io"),
    Brand("Lumetra", "lumetra.com"),
    Brand("Quillstone", "quillstone.co"),
    Brand("Vantyx", "vantyx.com"),
    Brand("Harborline Financial", "harborlinefinancial.com"),
    Brand("Tessaro", "tessaro.io"),
    Brand("Kelvane", "kelvane.com"),
    Brand("Orbisly", "orbisly.com"),
    Brand("Meridale Group", "meridalegroup.com"),
    Brand("Pinecrest Labs", "pinecrestlabs.io"),
    Brand("Solvara", "solvara.com"),
    Brand("Altaview", "altaview.co"),
    Brand("Crestovia", "crestovia.com"),
    Brand("Fernhollow", "fernhollow.com"),
    Brand("Gridwisely", "gridwisely.io"),
    Brand("Halcyra", "halcyra.com"),
    Brand("Ironleaf Systems", "ironleafsystems.com"),
    Brand("Juniper Quay", "juniperquay.com"),
    Brand("Kestrelpoint", "kestrelpoint.io"),
    Brand("Larkvale", "larkvale.com"),
    Brand("Mossgate", "mossgate.co"),
    Brand("Novaterrum", "novaterrum.com"),
    Brand("Oakhaven Digital", "oakhavendigital.com"),
    Brand("Paloria", "paloria.io"),
    Brand("Quintly Health", "quintlyhealth.com"),
    Brand("Redwing Analytics", "redwinganalytics.com"),
    Brand("Silverpine", "silverpine.io"),
    Brand("Trelliant", "trelliant.com"),
    Brand("Umbrio", "umbrio.co"),
    Brand("Verdancia", "verdancia.com"),
    Brand("Wavecroft", "wavecroft.com"),
    Brand("Xylora", "xylora.io"),
    Brand("Yellowbirch Co.", "yellowbirch.co"),
    Brand("Zentrik", "zentrik.com"),
    Brand("Ambergate", "ambergate.io"),
    Brand("Bluefjord", "bluefjord.com"),
    Brand("Cinderpath", "cinderpath.com"),
    Brand("Driftwell", "driftwell.io"),
    Brand("Everloom", "everloom.com"),
)

REVIEW_SITES: tuple[tuple[str, str], ...] = (
    ("G2 reviews", "https://www.g2.com/categories/{slug}"),
    ("Capterra comparison", "https://www.capterra.com/{slug}-software/"),
    ("Trustpilot ratings", "https://www.trustpilot.com/categories/{slug}"),
    ("Forbes Advisor guide", "https://www.forbes.com/advisor/{slug}/"),
    ("NerdWallet roundup", "https://www.nerdwallet.com/best/{slug}"),
    ("Reddit discussion", "https://www.reddit.com/r/{slug}/"),
)

_INTROS = (
    "Here is an overview of the strongest options for “{question}” for people in {place}.",
    "Several providers stand out when it comes to “{question}” in {place}.",
    "For “{question}”, these are the names that come up most often in {place}.",
    "Based on recent reviews and local availability in {place}, here are good answers to "
    "“{question}”.",
)
_STRENGTHS = (
    "known for transparent pricing and responsive support",
    "popular with first-time customers thanks to a simple onboarding process",
    "a good fit for larger teams that need detailed reporting",
    "often praised for its mobile experience and clear fees",
    "strong on security certifications and compliance",
    "widely recommended by independent reviewers for value",
    "offers flexible plans and a generous free tier",
    "focuses on personal service and local expertise",
    "stands out for integrations with common tools",
    "has a long track record and consistently high ratings",
)
_ORG_DESCRIPTIONS = (
    "{org} is frequently recommended for its customer focus and clear terms.",
    "{org}'s offering is well regarded for reliability and straightforward pricing.",
    "{org} stands out for local expertise and highly rated support.",
    "Reviewers often point to {org}'s service quality and ease of use.",
)
_CLOSINGS = (
    "The right choice depends on your budget, how much support you need and which features "
    "matter most; compare a few options before you decide.",
    "Check current pricing and terms directly with each provider, as offers change often and "
    "can differ by location.",
    "Reading recent customer reviews and asking for a trial or consultation is the best way to "
    "narrow the list down.",
)
_BEST_FOR = ("small teams", "families", "enterprises", "beginners", "power users", "budgets")
_PRICE_BANDS = ("$", "$$", "$$$")


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    org_mentioned: bool
    org_cited: bool
    competitors: tuple[str, ...]


def _website_url(website: str) -> str:
    url = website.strip()
    return url if url.startswith(("http://", "https://")) else f"https://{url}"


def _slug(question: str, rng: random.Random) -> str:
    words = [w.strip("?.,!:;\"'").lower() for w in question.split()]
    useful = [w for w in words if len(w) > 3 and w.isalpha()]
    return "-".join(rng.sample(useful, k=min(2, len(useful)))) or "providers"


def compose_answer(
    rng: random.Random,
    *,
    question: str,
    place: str,
    org_name: str,
    org_websites: list[str],
    mention_org: bool,
) -> ComposedAnswer:
    """A markdown answer with a numbered list, maybe a table, a closing and 1–5 sources."""
    option_count = rng.randint(3, 7)
    competitor_count = option_count - 1 if mention_org else option_count
    competitors = rng.sample(BRAND_POOL, k=competitor_count)
    entries: list[tuple[str, str]] = [
        (brand.name, f"{brand.name} is {rng.choice(_STRENGTHS)}.") for brand in competitors
    ]
    if mention_org:
        org_line = rng.choice(_ORG_DESCRIPTIONS).format(org=org_name)
        entries.insert(rng.randrange(option_count), (org_name, org_line))

    lines = [SIMULATED_MARKER, "", rng.choice(_INTROS).format(question=question, place=place), ""]
    lines += [f"{rank}. **{name}**: {text}" for rank, (name, text) in enumerate(entries, 1)]
    if rng.random() < 0.3:
        lines += ["", "| Option | Best for | Price |", "| --- | --- | --- |"]
        lines += [
            f"| {name} | {rng.choice(_BEST_FOR)} | {rng.choice(_PRICE_BANDS)} |"
            for name, _ in entries
        ]
    lines += ["", rng.choice(_CLOSINGS)]

    sources: list[tuple[str, str]] = []
    org_cited = bool(mention_org and org_websites and rng.random() < 0.6)
    if org_cited:
        sources.append((f"{org_name} official site", _website_url(rng.choice(org_websites))))
    for brand in rng.sample(competitors, k=min(len(competitors), rng.randint(0, 3))):
        sources.append((brand.name, f"https://www.{brand.domain}/"))
    slug = _slug(question, rng)
    for title, pattern in rng.sample(REVIEW_SITES, k=rng.randint(1, 2)):
        sources.append((title, pattern.format(slug=slug)))
    sources = sources[:5]
    lines += ["", "**Sources:**"] + [f"- [{title}]({url})" for title, url in sources]
    return ComposedAnswer(
        text="\n".join(lines) + "\n",
        org_mentioned=mention_org,
        org_cited=org_cited,
        competitors=tuple(brand.name for brand in competitors),
    )
