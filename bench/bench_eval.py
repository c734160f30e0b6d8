"""Accuracy of senso's evaluators on the labelled answer set, side by side.

    python -m bench.bench_eval [--failures] [--only offline]

Scored the way the golden set is (domain §9): mention exact, share of voice within 10 points,
sentiment exact, citation set exact, overall = all four. Evaluators:

- `naive`: a full-name substring test, the reference any evaluator must beat;
- `offline`: the deterministic evaluator senso uses without a model;
- `llm`: the language-model evaluator. With SENSO_OPENAI_API_KEY / OPENAI_API_KEY set it calls
  the real API (model from SENSO_EVAL_MODEL); without a key it talks to the local fake OpenAI
  server of the tests, whose canned replies exercise the pipeline but say nothing of a model's
  quality.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.labelled_set import (
    METRICS,
    LabelledAnswer,
    Prediction,
    accuracy,
    load_labelled_set,
    score,
)
from handlers.evaluation import (
    OrgProfile,
    build_evaluator_components,
    evaluate_answer,
    extract_citations,
)

Evaluator = Callable[[LabelledAnswer], Prediction]


def naive(row: LabelledAnswer) -> Prediction:
    """Full-name substring match; the paragraphs holding the name are the mention text."""
    name = row.org_name.lower()
    paragraphs = [p for p in re.split(r"\n\s*\n", row.response_text) if name in p.lower()]
    mentioned = bool(paragraphs)
    size = len(row.response_text.encode("utf-8"))
    text = " || ".join(p.strip() for p in paragraphs)
    return Prediction(
        mentioned=mentioned,
        sov=100.0 * len(text.encode("utf-8")) / size if mentioned else 0.0,
        sentiment="positive" if mentioned else "",
        citations=frozenset(c.url for c in extract_citations(row.response_text, [])),
    )


def components_evaluator(client: Any | None, model: str | None) -> Evaluator:
    generator, verifier, extractor = build_evaluator_components(client, model)

    def evaluate(row: LabelledAnswer) -> Prediction:
        org = OrgProfile(name=row.org_name, websites=list(row.websites))
        names = generator.generate(org.name, org.websites).names
        result = evaluate_answer(
            row.response_text, org, names, verifier=verifier, competitor_extractor=extractor
        )
        return Prediction(
            mentioned=result.mentioned,
            sov=result.share_of_voice,
            sentiment=(result.sentiment or "") if result.mentioned else "",
            citations=frozenset(c.url for c in result.citations),
        )

    return evaluate


def _fake_reply(body: dict[str, Any]) -> str:
    """Canned structured replies: the org's own name, "verified" with no passages (senso then
    measures its own), neutral sentiment and no competitors."""
    schema = body["response_format"]["json_schema"]["name"]
    user = str(body["messages"][-1]["content"])
    if schema == "name_variations_extraction":
        first = user.splitlines()[0].removeprefix("Organisation: ")
        return json.dumps({"names": [first]})
    if schema == "org_mention_verification_extraction":
        return json.dumps({"is_mention_verified": True, "sentiment": "neutral", "mention_text": ""})
    return json.dumps({"competitors": []})


@contextmanager
def llm_client() -> Iterator[tuple[Any, str, str]]:
    """(client, model, where) for the LLM evaluator: the real API with a key, else the fake."""
    import openai

    key = os.environ.get("SENSO_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY")
    model = os.environ.get("SENSO_EVAL_MODEL", "gpt-4.1-mini")
    if key:
        yield openai.OpenAI(api_key=key), model, f"OpenAI {model}"
        return
    from tests.fakes.openai_server import FakeOpenAIServer

    with FakeOpenAIServer(answer=_fake_reply) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        yield client, model, "local fake OpenAI (canned replies, not a model)"


def run(rows: list[LabelledAnswer], evaluator: Evaluator) -> list[dict[str, bool]]:
    return [score(row, evaluator(row)) for row in rows]


def _table(figures: dict[str, dict[str, float]]) -> str:
    names = list(figures)
    lines = [f"{'metric':<10}" + "".join(f"{n:>10}" for n in names)]
    for metric in (*METRICS, "overall"):
        lines.append(f"{metric:<10}" + "".join(f"{figures[n][metric]:>9.1f}%" for n in names))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list the failing rows")
    parser.add_argument("--only", choices=("naive", "offline", "llm"), action="append")
    args = parser.parse_args(argv)
    rows = load_labelled_set()
    chosen = args.only or ["naive", "offline", "llm"]
    mentioned = sum(r.expected_mention for r in rows)
    print(
        f"{len(rows)} labelled answers, {len(mentioned_orgs(rows))} orgs, "
        f"{mentioned} mentioned / {len(rows) - mentioned} not"
    )
    figures: dict[str, dict[str, float]] = {}
    failing: dict[str, list[tuple[LabelledAnswer, dict[str, bool], Prediction]]] = {}
    for name in chosen:
        with _evaluator(name) as (evaluator, where):
            predictions = [(row, evaluator(row)) for row in rows]
        results = [score(row, p) for row, p in predictions]
        figures[name] = accuracy(results)
        failing[name] = [
            (row, checks, p)
            for (row, p), checks in zip(predictions, results, strict=True)
            if not all(checks.values())
        ]
        print(f"{name}: {where}")
    print(_table(figures))
    if args.failures:
        for name, rows_failed in failing.items():
            print(f"\n{name} failures ({len(rows_failed)}):")
            for row, checks, p in rows_failed:
                bad = [m for m in METRICS if not checks[m]]
                print(
                    f"  {row.id}: {', '.join(bad)} | mention {p.mentioned}/"
                    f"{row.expected_mention} sov {p.sov:.1f}/{row.expected_sov:.1f} "
                    f"sentiment {p.sentiment or '-'}/{row.expected_sentiment or '-'}"
                )
                if not checks["citations"]:
                    print(f"    extra {sorted(p.citations - row.expected_citations)}")
                    print(f"    missing {sorted(row.expected_citations - p.citations)}")
    return 0


def mentioned_orgs(rows: list[LabelledAnswer]) -> set[str]:
    return {row.org_name for row in rows}


@contextmanager
def _evaluator(name: str) -> Iterator[tuple[Evaluator, str]]:
    if name == "naive":
        yield naive, "full-name substring"
    elif name == "offline":
        yield components_evaluator(None, None), "deterministic, no model"
    else:
        with llm_client() as (client, model, where):
            yield components_evaluator(client, model), where


if __name__ == "__main__":
    sys.exit(main())
