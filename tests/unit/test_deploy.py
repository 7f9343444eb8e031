"""The deploy files point at things that exist (no Docker engine runs here, so they are checked, not built)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from xiaofei.cli import parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = (ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8")


def test_every_dockerfile_the_compose_file_builds_exists() -> None:
    dockerfiles = set(re.findall(r"dockerfile:\s*(\S+)", COMPOSE))
    assert dockerfiles, "compose.yaml builds nothing"
    for path in dockerfiles:  # the build context is the repository root (context: ..)
        assert (ROOT / path).is_file(), path


def test_what_the_dockerfile_copies_and_runs_exists() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert 'ENTRYPOINT ["xiaofei"]' in dockerfile and "xiaofei" in scripts


def test_the_compose_commands_are_real_subcommands() -> None:
    commands = set(re.findall(r'command:\s*\["(\w+)"\]', COMPOSE))
    known = set(parser()._subparsers._group_actions[0].choices)  # noqa: SLF001 - argparse has no public walk
    assert commands and commands <= known, commands - known
