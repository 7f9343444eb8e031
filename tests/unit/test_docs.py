"""Documents that name commands, files and settings are checked against the code, so they cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from xiaofei.cli import parser
from xiaofei.config import setting_names
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
    named = set(re.findall(r"(?:`|bin/)xiaofei ((?:import|token|events|national|projections) [a-z]+|[a-z]+)", README))
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


def test_every_document_under_docs_is_linked_from_the_readme() -> None:
    linked = set(re.findall(r"\]\(([^)#:]+)\)", README))
    documents = {str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")}
    assert documents and documents <= linked, documents - linked


def _prose(text: str) -> str:
    """The README without its fenced blocks (the walkthroughs' curl options are not ours)."""
    return re.sub(r"```.*?```", "", text, flags=re.S)


def test_every_setting_the_readme_names_exists() -> None:
    from xiaofei.config import setting_names

    example = (ROOT / "deploy" / "example.env").read_text(encoding="utf-8")
    conftest = (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")
    for name in set(re.findall(r"XIAOFEI_[A-Z_]+", README)):
        if f'os.environ.get("{name}")' in conftest:  # read by the tests only (XIAOFEI_TEST_DATABASE_URL)
            continue
        assert name in setting_names(), f"README names {name}, which is no setting"
        assert f"{name}=" in example, f"{name} is missing from deploy/example.env"


def test_the_projections_the_readme_lists_are_the_ones_rebuild_accepts() -> None:
    listed = re.search(r"<!-- projections -->(.*?)<!-- /projections -->", README)
    assert listed, "README lost its projection list"
    assert re.findall(r"`([a-z_]+)`", listed.group(1)) == list(PROJECTIONS)


def test_every_option_the_readme_names_exists() -> None:
    options = {s for _, p in _all_parsers() for a in p._actions for s in a.option_strings}  # noqa: SLF001
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", _prose(README)))
    assert named and named <= options, f"README names unknown options: {named - options}"


def _all_parsers():  # noqa: ANN202
    stack = [("xiaofei", parser())]
    while stack:
        name, p = stack.pop()
        yield name, p
        if p._subparsers is not None:  # noqa: SLF001
            for action in p._subparsers._group_actions:  # noqa: SLF001
                stack.extend((f"{name} {n}", sub) for n, sub in action.choices.items())


def test_every_endpoint_the_readme_names_outside_the_walkthroughs_exists() -> None:
    from litestar import Litestar
    from litestar.openapi import OpenAPIConfig

    from xiaofei.http import (claims_routes, consumption, dashboard_exports, dashboard_page, dashboard_routes, docs,
                              employment_routes, income_exports, income_routes)
    from xiaofei.http.routes import CONTROLLERS

    app = Litestar(route_handlers=[*CONTROLLERS, *employment_routes.CONTROLLERS, *claims_routes.CONTROLLERS,
                                   *consumption.CONTROLLERS, *income_routes.CONTROLLERS, *income_exports.CONTROLLERS,
                                   *dashboard_routes.CONTROLLERS, *dashboard_exports.CONTROLLERS,
                                   *dashboard_page.CONTROLLERS],
                   openapi_config=OpenAPIConfig(title="x", version="0", path="/schema",
                                                render_plugins=docs.render_plugins()))
    templates = [re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(re.sub(r":\w+}", "}", r.path))) + "$")
                 for r in app.routes if "{path" not in r.path]
    named = set(re.findall(r"`(?:(?:GET|POST|PUT|PATCH|DELETE) )?(/[a-z][^`\s]*)`", _prose(README)))
    assert {"/health", "/ready"} <= named
    unknown = {path for path in named if not any(t.match(path.partition("?")[0]) for t in templates)}
    assert not unknown, f"README names endpoints that do not exist: {unknown}"


def test_the_benchmarks_readme_lists_every_benchmark_and_only_those() -> None:
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"benchmarks/([a-z_]+\.py)", text))
    present = {p.name for p in (ROOT / "benchmarks").glob("*.py") if p.name != "__init__.py"}
    assert named == present


def test_the_demo_scales_the_readme_names_are_the_ones_the_cli_offers() -> None:
    from xiaofei.demo_province import SCALES

    demo = next(a for a in parser()._subparsers._group_actions).choices["demo"]  # noqa: SLF001
    offered = next(a for a in demo._actions if a.dest == "scale").choices  # noqa: SLF001
    named = set(re.findall(r"--scale ([a-z]+)", README))
    assert named and named <= set(offered) == set(SCALES)


def test_the_capacity_model_names_real_benchmarks_commands_and_settings() -> None:
    text = (ROOT / "deploy" / "CAPACITY.md").read_text(encoding="utf-8")
    scripts = set(re.findall(r"benchmarks/(\w+\.py)", text))
    assert {"month_end.py", "registry_import.py", "dashboard.py", "federation.py"} <= scripts
    for script in scripts:
        assert (ROOT / "benchmarks" / script).is_file(), script
    for name in re.findall(r"XIAOFEI_[A-Z_]+", text):
        assert name in setting_names(), name
    named = set(re.findall(r"`xiaofei ((?:national|token|import|projections) [a-z]+|[a-z]+)", text))
    assert named <= _subcommands(), named - _subcommands()
    assert not re.search(r"FEDERATION_[A-Z]+", text), "a figure of benchmarks/federation.py was not filled in"
