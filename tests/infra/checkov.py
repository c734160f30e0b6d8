"""Checkov for the Terraform tests, provided by the tests themselves.

Checkov pins old boto3 and openai, so it cannot share the project's venv. Unless SENSO_CHECKOV
names one, the tests create (once, under a lock, so parallel workers wait for one install) a
venv of its own in the user's cache folder, outside the checkout and the project venv:
`$XDG_CACHE_HOME/senso/checkov-<version>` (default `~/.cache`).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

REQUIREMENTS = Path(__file__).with_name("checkov-requirements.txt")


def pinned() -> str:
    lines = [line.strip() for line in REQUIREMENTS.read_text().splitlines()]
    return next(line for line in lines if line and not line.startswith("#"))


def cache_venv() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "senso" / pinned().replace("==", "-")


class CheckovUnavailableError(Exception):
    """Checkov could not be installed here (no index reachable, no Python venv support)."""


def provide_checkov() -> str:
    """A checkov executable: SENSO_CHECKOV, else the cached venv (installed on first use)."""
    explicit = os.environ.get("SENSO_CHECKOV")
    if explicit:
        return explicit
    venv = cache_venv()
    executable, complete = venv / "bin" / "checkov", venv / ".installed"
    if complete.exists():
        return str(executable)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one install; other workers wait, then reuse it
        if not complete.exists():
            _install(venv)
            complete.touch()  # only a finished install counts; a broken one is redone
    return str(executable)


def _install(venv: Path) -> None:
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(venv / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS)],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, timeout=900, check=False)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise CheckovUnavailableError(f"{' '.join(step[1:3])} failed: {last}")
