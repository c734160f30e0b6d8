"""Evaluate one answer for one org outside the workflow, for operators checking the evaluator.

The org is a known org's slug (its name and websites come from the database, which is only
read) or else a name with websites; the answer is text. Offline
(deterministic) components are used unless the caller passes an OpenAI-compatible client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from handlers.db.database import Database
from handlers.errors import InvalidInputError, NotFoundError
from handlers.evaluation import (
    Evaluation,
    NameVariations,
    OrgProfile,
    build_evaluator_components,
    evaluate_answer,
)
from handlers.repositories.orgs import OrgRepository


class EvaluationReport(BaseModel):
    """What `senso evaluate` shows: the org, the variations looked for, and the evaluation."""

    model_config = ConfigDict(frozen=True)

    org: OrgProfile
    variations: NameVariations
    evaluation: Evaluation


def read_answer(path: Path) -> str:
    """The answer stored in `path` (UTF-8); a missing or undecodable file is bad input."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(
            f"{path} is not UTF-8 text", hint="save the answer as UTF-8 and try again"
        ) from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None


def org_profile(db: Database | None, ref: str, websites: list[str]) -> OrgProfile:
    """A known org by slug (or id) first, with its stored websites; otherwise `ref` is the name
    to look for. `db` None: no database to ask (no home yet), so `ref` is a name."""
    if db is not None:
        try:
            known = OrgRepository(db).get(ref, names=True)
        except NotFoundError:
            pass
        else:
            merged = list(dict.fromkeys([*known.websites, *websites]))
            return OrgProfile(name=known.name, websites=merged)
    return OrgProfile(name=ref, websites=websites)


def evaluate_text(
    org_name: str,
    websites: list[str],
    text: str,
    *,
    openai_client: Any | None = None,
    model: str | None = None,
) -> EvaluationReport:
    """Generate the org's name variations and evaluate `text` with them."""
    generator, verifier, extractor = build_evaluator_components(openai_client, model)
    org = OrgProfile(name=org_name, websites=websites)
    variations = generator.generate(org.name, org.websites)
    evaluation = evaluate_answer(
        text, org, variations.names, verifier=verifier, competitor_extractor=extractor
    )
    return EvaluationReport(org=org, variations=variations, evaluation=evaluation)
