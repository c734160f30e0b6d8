"""Org files: validated field by field, nothing written on error, idempotent re-import."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from handlers.orgdata.importer import import_orgs, load_org_file
from handlers.repositories.orgs import OrgRepository

VALID = """
slug: acme
name: Acme Bank
partner: {slug: partner-one, name: Partner One}
websites: [https://acme.example]
questions:
  - What is the best bank?
  - {text: "Is Acme Bank good?", type: brand-specific}
models: [gpt-4.1, chatgpt]
locations: [US, {country: gb, region: London}]
schedule: [0, sunday]
credits: 10
"""


def _write(tmp_path: Path, text: str, name: str = "org.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _row_counts(db: Database) -> dict[str, int]:
    tables = [
        "partners",
        "orgs",
        "geo_questions",
        "geo_models",
        "org_locations",
        "org_schedules",
        "credit_ledger",
        "credit_balances",
        "org_websites",
    ]
    with db.connect() as conn:
        return {
            t: conn.execute(f"SELECT count(*) AS n FROM {t}").fetchone()["n"]  # noqa: S608
            for t in tables
        }


def test_valid_file_imports_everything(db: Database, tmp_path: Path) -> None:
    report = import_orgs(db, load_org_file(_write(tmp_path, VALID)))
    assert report.changed
    org = OrgRepository(db).get("acme")
    assert [loc.label for loc in org.locations] == ["US", "London, GB"]
    assert org.schedule == [0, 6]
    assert org.matrix_size == 2 * 2 * 2
    assert org.balance == 10


def test_reimport_changes_nothing(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, VALID)
    import_orgs(db, load_org_file(path))
    before = _row_counts(db)
    report = import_orgs(db, load_org_file(path))
    assert not report.changed, report.changes
    assert _row_counts(db) == before


def test_removed_question_is_removed_and_restored(db: Database, tmp_path: Path) -> None:
    import_orgs(db, load_org_file(_write(tmp_path, VALID)))
    fewer = VALID.replace("  - What is the best bank?\n", "")
    report = import_orgs(db, load_org_file(_write(tmp_path, fewer, "b.yaml")))
    assert report.changes.get("removed questions") == 1
    assert len(OrgRepository(db).get("acme").questions) == 1
    import_orgs(db, load_org_file(_write(tmp_path, VALID, "c.yaml")))
    assert len(OrgRepository(db).get("acme").questions) == 2


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (VALID.replace("slug: acme", "slug: Acme Bank!"), "orgs[0].slug"),
        (VALID.replace("[US, ", "[USA, "), "orgs[0].locations[0]"),
        (VALID.replace("schedule: [0, sunday]", "schedule: [9]"), "orgs[0].schedule"),
        (VALID.replace("models: [gpt-4.1, chatgpt]", "models: []"), "orgs[0].models"),
        (VALID.replace("credits: 10", "credits: -5"), "orgs[0].credits"),
        (VALID.replace("name: Acme Bank\n", "name: Acme Bank\ncolour: red\n"), "orgs[0].colour"),
        (VALID.replace("questions:", "questions: 3\nx:"), "orgs[0]"),
        ("slug: [unclosed", "not valid YAML"),
    ],
)
def test_invalid_file_names_the_field_and_writes_nothing(
    db: Database, tmp_path: Path, broken: str, expected: str
) -> None:
    before = _row_counts(db)
    with pytest.raises(InvalidInputError) as info:
        import_orgs(db, load_org_file(_write(tmp_path, broken)))
    assert expected in info.value.message
    assert _row_counts(db) == before


def test_json_files_are_accepted(db: Database, tmp_path: Path) -> None:
    import json

    import yaml

    path = _write(tmp_path, json.dumps(yaml.safe_load(VALID)), "org.json")
    import_orgs(db, load_org_file(path))
    assert OrgRepository(db).get("acme").name == "Acme Bank"


def test_import_is_refused_in_external_mode_and_writes_nothing(
    external_db: Database, tmp_path: Path
) -> None:
    before = _row_counts(external_db)
    with pytest.raises(InvalidInputError, match="orgs import is refused"):
        import_orgs(external_db, load_org_file(_write(tmp_path, VALID)))
    assert _row_counts(external_db) == before
