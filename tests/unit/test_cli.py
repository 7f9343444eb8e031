"""The command line describes itself: a version, and help for every command and option (roles, projection names
and defaults spelled out)."""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys

import pytest

from xiaofei import __version__
from xiaofei.cli import parser
from xiaofei.domain.access import ROLES
from xiaofei.projectors.catalog import PROJECTIONS


def _parsers(p: argparse.ArgumentParser, path: str = "xiaofei"):  # noqa: ANN202
    yield path, p
    for action in p._actions:  # noqa: SLF001 - argparse has no public walk
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def _help(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        parser().parse_args([*argv, "--help"])
    return " ".join(out.getvalue().split())


def test_every_command_and_option_has_help() -> None:
    missing = []
    for path, p in _parsers(parser()):
        if not p.description:
            missing.append(path)
        for action in p._actions:  # noqa: SLF001
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                missing += [f"{path} {c.dest}" for c in action._choices_actions if not c.help]  # noqa: SLF001
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, f"no help: {missing}"


def test_the_token_help_lists_every_role_and_rebuild_every_projection() -> None:
    token = _help("token", "create")
    assert all(role in token for role in ROLES)
    for command in (["rebuild"], ["projections", "retry"]):
        assert f"one of {', '.join(PROJECTIONS)}" in _help(*command)
    assert parser().parse_args(["rebuild", "employment"]).names == ["employment"]
    assert parser().parse_args(["rebuild", "income", "employment"]).names == ["income", "employment"]
    assert parser().parse_args(["rebuild", "all"]).names == ["all"]


def test_defaults_are_shown() -> None:
    serve = _help("serve")
    assert "default: XIAOFEI_HOST, else 127.0.0.1" in serve and "default: XIAOFEI_PORT, else 8000" in serve
    assert "(default: events)" in _help("events", "export")
    assert "(default: None)" not in serve + _help("token", "create")


def test_unknown_names_are_refused_with_the_known_ones() -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        parser().parse_args(["rebuild", "nope"])
    assert exit_.value.code == 2 and all(name in err.getvalue() for name in PROJECTIONS)
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit):
        parser().parse_args(["token", "create", "--role", "king"])
    assert "county_official" in err.getvalue()


def test_version() -> None:
    done = subprocess.run([sys.executable, "-m", "xiaofei.cli", "--version"], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == f"xiaofei {__version__}"
