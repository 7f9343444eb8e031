"""The deploy files point at things that exist (no Docker engine runs here, so they are checked, not built); the
systemd units are verified by systemd-analyze where it is installed."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from xiaofei.cli import parser
from xiaofei.config import load_settings, setting_names

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
COMPOSE_FILES = [DEPLOY / "compose.yaml", DEPLOY / "province" / "compose.yaml", DEPLOY / "national" / "compose.yaml"]
DOCKERFILE = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
DEPLOY_README = (DEPLOY / "README.md").read_text(encoding="utf-8")
ENV_FILE = "/etc/xiaofei/xiaofei.env"


def _subcommands() -> set[str]:
    """Every runnable command line: ``serve``, ``token create``..."""
    out: set[str] = set()
    for action in parser()._subparsers._group_actions:  # noqa: SLF001 - argparse has no public walk
        for name, sub in action.choices.items():
            out.add(name)
            if sub._subparsers is not None:  # noqa: SLF001
                for inner in sub._subparsers._group_actions:  # noqa: SLF001
                    out.update(f"{name} {n}" for n in inner.choices)
    return out


def _unit(path: Path) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def _exec(command: str) -> tuple[dict[str, str], list[str]]:
    """(variables set through /usr/bin/env, the command's words)."""
    words = shlex.split(command)
    env: dict[str, str] = {}
    if words[0] == "/usr/bin/env":
        words = words[1:]
        while words and "=" in words[0]:
            key, _, value = words.pop(0).partition("=")
            env[key] = value
    return env, words


@pytest.mark.parametrize("compose", COMPOSE_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_dockerfile_and_file_a_compose_file_uses_exists(compose: Path) -> None:
    text = compose.read_text(encoding="utf-8")
    dockerfiles = set(re.findall(r"dockerfile:\s*(\S+)", text))
    assert dockerfiles, f"{compose} builds nothing"
    contexts = set(re.findall(r"context:\s*(\S+)", text))
    assert {(compose.parent / c).resolve() for c in contexts} == {ROOT}, contexts  # builds from the repository
    for path in dockerfiles:
        assert (ROOT / path).is_file(), path
    for mounted in re.findall(r"- (\./[\w./-]+):", text):  # files mounted into a container
        assert (compose.parent / mounted).is_file(), mounted
    for env_file in re.findall(r"env_file:\s*(\S+)", text):  # the reader's copy of deploy/example.env
        assert (compose.parent / env_file).resolve() == DEPLOY / ".env", env_file


def test_what_the_dockerfile_copies_and_runs_exists() -> None:
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert 'ENTRYPOINT ["xiaofei"]' in DOCKERFILE and "xiaofei" in scripts


def test_the_image_is_multi_stage_non_root_installs_the_wheel_and_checks_health() -> None:
    stages = re.findall(r"^FROM \S+", DOCKERFILE, re.M)
    assert len(stages) >= 2
    final = DOCKERFILE[DOCKERFILE.rindex("\nFROM "):]
    assert "pip wheel" in DOCKERFILE and "--no-index --find-links=/wheels xiaofei" in final
    assert re.search(r"^USER (?!root)\w+", final, re.M)
    health = re.search(r"^HEALTHCHECK .*?CMD (.*)$", final, re.M | re.S)
    assert health and "/health" in health.group(1)
    for name in re.findall(r"XIAOFEI_[A-Z_]+", DOCKERFILE):
        assert name in setting_names(), name


@pytest.mark.parametrize("compose", COMPOSE_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_the_compose_commands_and_variables_are_real(compose: Path) -> None:
    text = compose.read_text(encoding="utf-8")
    commands = set(re.findall(r'command:\s*\["(\w+)"\]', text))
    assert commands and commands <= _subcommands(), commands - _subcommands()
    for name in re.findall(r"XIAOFEI_[A-Z_]+", text):
        assert name in setting_names(), name
    # the commands a comment tells the reader to run are real too
    for line in re.findall(r"(?:xiaofei|run --rm api) ((?:national|token|import) [a-z]+)", text):
        assert line in _subcommands(), line
    # the image's health check asks /health: a projector (no HTTP) turns it off
    if "  projector:" in text:
        projector = text[text.index("  projector:"):]
        assert re.search(r"healthcheck:\s*\n\s*disable: true", projector)


def test_the_province_compose_runs_a_replica_and_reads_from_it() -> None:
    text = (DEPLOY / "province" / "compose.yaml").read_text(encoding="utf-8")
    assert "wal_level=logical" in text and "pg_basebackup" in text and "hot_standby=on" in text
    assert "XIAOFEI_READ_REPLICA_URL: postgresql://xiaofei:xiaofei@replica:5432/xiaofei" in text
    assert "XIAOFEI_RUN_PROJECTORS: \"false\"" in text


def test_the_systemd_units_run_real_commands_with_real_settings() -> None:
    assert {u.name for u in UNITS} == {"xiaofei-api.service", "xiaofei-projector.service"}
    ran = set()
    for unit in UNITS:
        keys = _unit(unit)
        assert keys["EnvironmentFile"] == [ENV_FILE], unit.name
        assert keys["User"] != ["root"] and keys.get("Restart") == ["on-failure"], unit.name
        for assignment in keys.get("Environment", []):
            for word in shlex.split(assignment):
                assert word.split("=", 1)[0] in setting_names(), (unit.name, word)
        (command,) = keys["ExecStart"]
        env, words = _exec(command)
        assert set(env) <= set(setting_names()), (unit.name, env)
        assert words[0].endswith("/bin/xiaofei"), words
        line = " ".join(words[1:3]) if " ".join(words[1:3]) in _subcommands() else words[1]
        assert line in _subcommands(), (unit.name, words)
        ran.add((line, env.get("XIAOFEI_RUN_PROJECTORS")))
    # the API leaves the projectors to their own unit
    assert ran == {("serve", "false"), ("project", None)}


def test_the_deploy_readme_names_only_real_commands_settings_and_files() -> None:
    for name in set(re.findall(r"XIAOFEI_[A-Z_]+", DEPLOY_README)):
        assert name in setting_names(), name
    named = set(re.findall(r"bin/xiaofei ((?:token|import|events|projections|national) [a-z]+|[a-z]+)|`xiaofei "
                           r"((?:token|import|events|projections|national) [a-z]+|[a-z]+)", DEPLOY_README))
    named = {a or b for a, b in named}
    assert named and named <= _subcommands(), named - _subcommands()
    made_here = set(re.findall(r"^cp \S+ (\S+)", DEPLOY_README, re.M))  # files the reader makes (deploy/.env)
    for path in set(re.findall(r"deploy/[\w./-]+\w", DEPLOY_README)) - made_here:
        assert (ROOT / path).exists(), path
    for unit in UNITS:
        assert unit.name in DEPLOY_README
    assert ENV_FILE in DEPLOY_README


def _installed() -> dict[str, Path]:
    """What the README's install steps put where: installed path -> the repository file it comes from."""
    out: dict[str, Path] = {}
    for line in re.findall(r"^install (.*)$", DEPLOY_README, re.M):
        words = shlex.split(line, comments=True)
        while words and words[0].startswith("-"):
            words = words[2:] if words[0] in ("-m", "-g", "-o") else words[1:]
        *sources, target = words
        for source in sources:
            out[target + Path(source).name if target.endswith("/") else target] = ROOT / source
    return out


def test_the_units_documentation_is_a_file_the_install_steps_put_there() -> None:
    installed = _installed()
    for unit in UNITS:
        for link in " ".join(_unit(unit)["Documentation"]).split():
            assert link.startswith("file://"), (unit.name, link)  # no network needed to read it
            path = link.removeprefix("file://")
            assert path in installed, (unit.name, path, sorted(installed))
            assert installed[path].is_file(), installed[path]


def _example_settings() -> dict[str, str]:
    lines = (DEPLOY / "example.env").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line.startswith("XIAOFEI_"))


def test_serve_with_the_example_settings_refuses_in_one_line_until_the_province_is_chosen(tmp_path: Path) -> None:
    # given deploy/example.env copied as deploy/README.md says, with only the secret key set (issue 26 §8: it named
    # 江西省, so the README's own 湖北 county 421081 was refused)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOFEI_")}
    env.update(_example_settings(), XIAOFEI_SECRET_KEY="ab" * 32, XIAOFEI_DATA_DIR=str(tmp_path / "data"),
               XIAOFEI_DATABASE_URL="postgresql://xiaofei@127.0.0.1:1/nowhere")
    assert not re.fullmatch(r"\d+", env["XIAOFEI_PROVINCE"].strip())  # no province chosen for the operator
    # when serve starts, then it refuses at once, in one line naming the setting, having started nothing
    done = subprocess.run([sys.executable, "-m", "xiaofei.cli", "serve", "--port", "1"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("configuration error: XIAOFEI_PROVINCE: ") and "42" in done.stderr, done.stderr
    assert not (tmp_path / "data").exists()
    # and once the operator writes their province (or empties it), the settings load
    assert load_settings({**env, "XIAOFEI_PROVINCE": "42"}).province == "42"
    assert load_settings({**env, "XIAOFEI_PROVINCE": ""}).province is None


@pytest.mark.parametrize("compose", COMPOSE_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_no_compose_file_chooses_a_province_and_the_national_one_serves_none(compose: Path) -> None:
    text = compose.read_text(encoding="utf-8")
    assert not re.search(r"XIAOFEI_PROVINCE:\s*\"?\d", text)  # the operator's .env names it
    if compose.parent.name == "national":  # whatever the copied .env says, the national API serves every province
        assert re.search(r'^\s+XIAOFEI_PROVINCE: ""', text, re.M)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian: apt-get install systemd)")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    # The units name the installed paths (/opt/xiaofei/venv, /etc/xiaofei): point them at this checkout's venv
    # and example settings, so that systemd can check the commands it would run exist and are executable.
    xiaofei = Path(sys.executable).with_name("xiaofei")
    assert xiaofei.exists(), xiaofei
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8")
        text = text.replace("/opt/xiaofei/venv/bin/xiaofei", str(xiaofei)).replace(ENV_FILE, str(DEPLOY / "example.env"))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", *(str(tmp_path / u.name) for u in UNITS)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "" and done.stderr.strip() == "", done.stdout + done.stderr
