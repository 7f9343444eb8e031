from __future__ import annotations

from pathlib import Path

import pytest

from xiaofei.config import Settings, SettingsError, load_settings, setting_names

EXAMPLE_ENV = Path(__file__).resolve().parents[2] / "deploy" / "example.env"


def _example_names() -> list[str]:
    names = []
    for line in EXAMPLE_ENV.read_text(encoding="utf-8").splitlines():
        line = line.strip().lstrip("#").strip()
        if line.startswith("XIAOFEI_") and "=" in line:
            names.append(line.split("=", 1)[0])
    return names


def test_example_env_lists_every_setting_and_nothing_else() -> None:
    assert sorted(_example_names()) == sorted(setting_names())


def test_reads_typed_values_from_the_environment() -> None:
    s = load_settings({"XIAOFEI_PORT": "9000", "XIAOFEI_RUN_PROJECTORS": "false", "XIAOFEI_DATABASE_URL": ""})
    assert s.port == 9000
    assert s.run_projectors is False
    assert s.database_url is None


@pytest.mark.parametrize(("env", "message"), [
    ({"XIAOFEI_PORT": "eighty"}, "XIAOFEI_PORT: expected an integer"),
    ({"XIAOFEI_RUN_PROJECTORS": "maybe"}, "XIAOFEI_RUN_PROJECTORS: expected a boolean"),
    ({"XIAOFEI_SECRET_KEY": "abc"}, "XIAOFEI_SECRET_KEY: expected 64 hex"),
    ({"XIAOFEI_PROJECTION_BATCH_SIZE": "5000"}, "XIAOFEI_PROJECTION_BATCH_SIZE"),
    ({"XIAOFEI_PROVINCE": "360724"}, "XIAOFEI_PROVINCE: expected a province's 2-digit code"),
    ({"XIAOFEI_PROVINCE": "3"}, "XIAOFEI_PROVINCE"),
    ({"XIAOFEI_PROVINCE": "00"}, "XIAOFEI_PROVINCE"),
    ({"XIAOFEI_PROVINCE": "江西"}, "XIAOFEI_PROVINCE"),
])
def test_refuses_unusable_values_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


def test_defaults_run_the_embedded_database() -> None:
    assert Settings().database_url is None


@pytest.mark.parametrize("raw", ["36", "360000", " 36 "])
def test_the_province_is_kept_as_its_two_digit_code(raw: str) -> None:
    assert load_settings({"XIAOFEI_PROVINCE": raw}).province == "36"
    assert load_settings({}).province is None


def test_forwarded_headers_are_believed_only_from_the_configured_proxies() -> None:
    from xiaofei.http.app import uvicorn_options

    assert uvicorn_options(load_settings({}))["proxy_headers"] is False
    options = uvicorn_options(load_settings({"XIAOFEI_FORWARDED_ALLOW_IPS": "10.0.0.5,10.1.0.0/16"}))
    assert options["proxy_headers"] is True and options["forwarded_allow_ips"] == "10.0.0.5,10.1.0.0/16"


@pytest.mark.parametrize("name", ["XIAOFEI_DB_CONNECT_TIMEOUT", "XIAOFEI_DB_STATEMENT_TIMEOUT",
                                  "XIAOFEI_DB_COMMAND_TIMEOUT", "XIAOFEI_DB_WRITE_POOL_SIZE"])
def test_database_waits_and_pools_must_be_positive(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: "0"})
