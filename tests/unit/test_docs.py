"""Documents that name commands, files and settings are checked against the code, so they cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from xiaofei.cli import parser
from xiaofei.projectors.catalog import PROJECTIONS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _subcommands() -> set[str]:
    names: set[str] = set()
    top = parser()
    for action in top._subparsers._group_actions:  # noqa: SLF001 - argparse has no public walk
        for name, sub in action.choices.items():
            names.add(name)
            if sub._subparsers is not None:  # noqa: SLF001
                for inner in sub._subparsers._group_actions:  # noqa: SLF001
                    names.update(f"{name} {n}" for n in inner.choices)
    return names


def test_every_command_the_readme_names_exists() -> None:
    known = _subcommands()
    named = set(re.findall(r"(?:`|bin/)xiaofei ((?:import|token|events) [a-z]+|[a-z]+)", README))
    assert named, "README names no commands"
    assert named <= known, f"README names unknown commands: {named - known}"


def test_readme_test_command_is_what_ci_runs() -> None:
    marker = README.index("<!-- test-command -->")
    command = README[marker:].split("```")[1].strip()
    assert "pytest" in command and "[test]" in command
    assert "<!-- test-command -->" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_projection_has_sql_and_a_readme() -> None:
    for name in PROJECTIONS:
        folder = ROOT / "projections" / name
        assert list(folder.glob("*.sql")), name
        assert (folder / "README.md").exists(), name


def test_files_the_readme_links_exist() -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (ROOT / target).exists(), target
