"""The default image tag `senso deploy` pushes: one per commit, one per distinct dirty tree.

The ECR repository has IMMUTABLE tags, so a tag must name one build forever: a clean checkout
is tagged with its commit (a redeploy finds that image and pushes nothing), and uncommitted
changes add a hash of the diff, so two different dirty trees never share a tag while the same
dirty tree deployed twice does.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from senso_cli.services.deploy import default_image_tag

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "app.py").write_text("print(1)\n")
    git(tmp_path, "add", "app.py")
    git(tmp_path, "commit", "-qm", "one")
    return tmp_path


def test_a_clean_checkout_is_tagged_with_its_commit(repo: Path) -> None:
    commit = git(repo, "rev-parse", "--short=12", "HEAD")
    assert default_image_tag(repo) == commit
    assert default_image_tag(repo) == commit  # the same commit, the same tag: pushed once


def test_each_distinct_dirty_tree_gets_its_own_tag(repo: Path) -> None:
    commit = git(repo, "rev-parse", "--short=12", "HEAD")
    (repo / "app.py").write_text("print(2)\n")
    first = default_image_tag(repo)
    assert first is not None and first.startswith(f"{commit}-dirty-")
    assert default_image_tag(repo) == first  # unchanged tree: same tag, its image is reused
    (repo / "app.py").write_text("print(3)\n")
    second = default_image_tag(repo)
    assert second is not None and second.startswith(f"{commit}-dirty-") and second != first
    # Untracked files do not make the tree dirty (`git status --untracked-files=no`, as before).
    (repo / "notes.txt").write_text("scratch")
    assert default_image_tag(repo) == second


def test_not_a_checkout_has_no_default_tag(tmp_path: Path) -> None:
    assert default_image_tag(tmp_path / "nowhere") is None
