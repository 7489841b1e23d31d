"""The README's "Project layout" names what the tree holds (issue 11: the layout section
matches the tree), so a new module cannot land without a line that says what it is for."""

from __future__ import annotations

import re
import subprocess

from core.config import PROJECT_ROOT

#: top-level files every Python project has, explained elsewhere in the README
SELF_EXPLAINING = {"Makefile", "README.md", "pyproject.toml", "requirements.txt",
                   "requirements-dev.txt", ".gitignore", ".env.shadow"}


def _layout() -> str:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"## Project layout\n\n```\n(.*?)```", text, re.S).group(1)  # type: ignore[union-attr]


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                         check=True).stdout
    return out.splitlines()


def test_every_top_level_entry_is_in_the_layout() -> None:
    layout = _layout()
    top = {path.split("/")[0] for path in _tracked()} - SELF_EXPLAINING
    assert top, "git ls-files found nothing"
    assert sorted(entry for entry in top if entry not in layout) == []


def test_every_core_package_and_module_and_dashboard_file_is_named() -> None:
    layout = _layout()
    missing = []
    for path in _tracked():
        parts = path.split("/")
        if not path.endswith(".py") or parts[-1] == "__init__.py":
            continue
        stem = parts[-1].removesuffix(".py")
        if parts[0] == "core" and len(parts) == 2:
            named = re.search(rf"\b{stem}(\.py)?\b", layout) is not None
        elif parts[0] == "core":
            named = f"core/{parts[1]}/" in layout
        elif parts[0] == "dashboard":
            named = re.search(rf"\b{stem}\b", layout) is not None
        else:
            continue
        if not named:
            missing.append(path)
    assert missing == []
