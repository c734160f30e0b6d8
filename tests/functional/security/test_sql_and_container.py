"""SQL is built only with parameters, and the container does not run as root.

The container half lives with the other Dockerfile checks:
tests/infra/test_dockerfile.py::test_final_stage_runs_as_a_numeric_non_root_user asserts that
the final stage's last USER is a numeric, non-zero uid. It is not repeated here.

For SQL, ruff's S608 (SQL built with f-strings, `%`/`.format()` or `+` around a variable) must
find nothing in the packages except lines that say why with `# noqa: S608`. `--isolated`
ignores pyproject.toml, so a per-file ignore added there cannot quietly switch the rule off.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
RUFF = Path(sys.executable).parent / "ruff"


def ruff_s608(*paths: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RUFF, "check", "--isolated", "--select", "S608", "--output-format", "concise", *paths],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_packages_build_sql_only_with_parameters() -> None:
    result = ruff_s608("handlers", "senso_cli")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_catches_sql_built_from_a_variable(tmp_path: Path) -> None:
    """Guards the guard: with this ruff, S608 really fires on an interpolated query."""
    sample = tmp_path / "query.py"
    sample.write_text(
        "def find(conn, slug):\n"
        "    return conn.execute(f\"SELECT * FROM orgs WHERE slug = '{slug}'\")\n"
    )
    result = ruff_s608(sample)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "S608" in result.stdout
