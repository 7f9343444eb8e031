"""The README's walkthroughs, typed as a user would, against a live `xiaofei serve` on a fresh database.

House rule: everything the README shows a user typing must give what it says. The bash blocks under the two
walkthrough headings are taken from README.md as they are — only `localhost:8000` becomes the test server's address
and the `ADMIN=xf_...` step gets the admin token the server printed on its first start — and run, in order, as one
bash session (`bash -euo pipefail`, in a scratch directory), with curl made to fail on an HTTP error. Their answers
are checked against what the README says they give (every "key":value of a "→" comment, and the figures).
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _drop_database, _free_port, _fresh_database, bearer

README = Path(__file__).resolve().parents[2] / "README.md"
WALKTHROUGHS = ("## Five-minute walkthrough", "### Employment (就业帮扶) in five more minutes",
               "### Consumption (消费帮扶) in five more minutes")
ADMIN_PLACEHOLDER = re.compile(r"^(?:export )?ADMIN=xf_\.\.\.(?=\s|$).*$", re.MULTILINE)
BLOCK_MARK = "#### next walkthrough block"
# An HTTP error (4xx/5xx) fails the command, so `set -e` stops the script. No `-w '\n'`: each JSON answer ends with a
# newline of its own (issue 26 §17), so the answers a user sees are one per line as they are.
CURL_IN_TESTS = "curl() { command curl --fail-with-body --show-error --max-time 60 \"$@\"; }\n"


@pytest.fixture
def real_clock() -> None:
    """This test talks to its own server process: no in-process services (overrides the e2e autouse fixture)."""


def walkthrough_blocks(text: str, heading: str) -> list[str]:
    """The ```bash blocks of the section under ``heading`` (up to the next heading); none found fails the test."""
    lines = text.splitlines()
    assert heading in lines, f"README.md has no heading {heading!r}"
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#") and not _inside_fence(lines, i)),
               len(lines))
    section = "\n".join(lines[start:end])
    blocks = re.findall(r"^```bash\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert blocks, f"README.md section {heading!r} has no ```bash block"
    return blocks


def _inside_fence(lines: list[str], index: int) -> bool:
    return sum(1 for line in lines[:index] if line.startswith("```")) % 2 == 1


def promised_fragments(script: str) -> list[str]:
    """Every literal JSON member ("key":value) a '→' comment promises."""
    fragments: list[str] = []
    for line in script.splitlines():
        comment = line.partition("#")[2]
        if "→" in comment:
            fragments += re.findall(r'"[a-z_]+":(?:true|false|null|-?\d+|"[^"]*")', comment.partition("→")[2])
    return fragments


def _wait_until_served(proc: subprocess.Popen[str], printed: queue.Queue[str], port: int, stderr: Path) -> str:
    """Read what `xiaofei serve` prints until it names its address; returns the admin token it printed once."""
    seen: list[str] = []
    deadline = time.monotonic() + 90
    while not any(line.startswith("xiaofei on http://") for line in seen):
        try:
            seen.append(printed.get(timeout=0.5))
        except queue.Empty:
            assert proc.poll() is None, f"serve exited: {seen}\n{stderr.read_text(encoding='utf-8')}"
        assert time.monotonic() < deadline, f"serve printed no address: {seen}"
    marker = next(i for i, line in enumerate(seen) if line.startswith("First start: an admin token"))
    token = seen[marker + 1].strip()
    assert re.fullmatch(r"xf_[A-Za-z0-9_-]{20,}", token), seen
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200:
                return token
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "serve did not answer /health"
        time.sleep(0.1)


@pytest.fixture
def live_server(pg_server: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(address, admin token) of a real `xiaofei serve` on a free port and a database of its own."""
    name, url = _fresh_database(pg_server)
    port = _free_port()
    env = {**os.environ, "XIAOFEI_DATABASE_URL": url, "XIAOFEI_PORT": str(port),
           "XIAOFEI_DATA_DIR": str(tmp_path / "data"), "XIAOFEI_LOG_LEVEL": "WARNING",
           # a loaded machine may need more than the default 5 s for a projection to catch up
           "XIAOFEI_READ_WAIT_SECONDS": "30", "PYTHONUNBUFFERED": "1"}
    env.pop("XIAOFEI_SECRET_KEY", None)  # first start on a fresh machine: the key is generated into the data dir
    env.pop("XIAOFEI_WORKERS", None)
    stderr = tmp_path / "serve.stderr"
    try:
        with stderr.open("w", encoding="utf-8") as errors, subprocess.Popen(
                [sys.executable, "-m", "xiaofei.cli", "serve"], env=env, stdout=subprocess.PIPE, stderr=errors,
                text=True, encoding="utf-8") as proc:
            printed: queue.Queue[str] = queue.Queue()
            stdout = proc.stdout
            assert stdout is not None
            reader = threading.Thread(target=lambda: [printed.put(line) for line in stdout], daemon=True)
            reader.start()
            try:
                yield f"127.0.0.1:{port}", _wait_until_served(proc, printed, port, stderr)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=30)
                reader.join(timeout=10)
    finally:
        _drop_database(pg_server, name)


def _script(address: str, admin: str) -> str:
    readme = README.read_text(encoding="utf-8")
    parts = [block for heading in WALKTHROUGHS for block in walkthrough_blocks(readme, heading)]
    script = f"\n{BLOCK_MARK}\n".join(parts)
    assert len(ADMIN_PLACEHOLDER.findall(script)) == 1, "the walkthrough must have one ADMIN=xf_... step"
    script = ADMIN_PLACEHOLDER.sub(f"ADMIN={admin}", script)
    assert "localhost:8000" in script
    script = script.replace("localhost:8000", address)
    assert ":8000" not in script and "xf_..." not in script, "a placeholder the test cannot fill is left"
    return script


def _answers(stdout: str) -> list[list[Any]]:
    """Each block's answers, one JSON value per line."""
    blocks: list[list[Any]] = [[]]
    for line in stdout.splitlines():
        if line == BLOCK_MARK:
            blocks.append([])
        elif line.strip():
            blocks[-1].append(json.loads(line))
    return blocks


def _one(answers: list[Any], key: str) -> list[dict[str, Any]]:
    return [a for a in answers if isinstance(a, dict) and key in a]


def test_readme_walkthroughs_give_what_they_say(live_server: tuple[str, str], tmp_path: Path) -> None:
    # given a fresh `xiaofei serve` and the walkthroughs exactly as README.md shows them
    address, admin = live_server
    script = _script(address, admin)
    workdir = tmp_path / "user"
    workdir.mkdir()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "HOME": str(workdir)}

    # when a user types them, in order, in one bash session
    run = subprocess.run(["bash", "-euo", "pipefail", "-c",
                          CURL_IN_TESTS + script.replace(BLOCK_MARK, f"echo '{BLOCK_MARK}'")],
                         cwd=workdir, env=env, capture_output=True, text=True, encoding="utf-8", timeout=240)

    # then every command succeeds
    assert run.returncode == 0, f"walkthrough failed ({run.returncode}):\n{run.stderr}\n--- stdout:\n{run.stdout}"
    registry, employment, consumption, monitoring = _answers(run.stdout)
    # and every "key":value a "→" comment promises is in the answers
    for fragment in promised_fragments(script):
        assert fragment in run.stdout, f"README promises {fragment} but the answers do not say so"

    # the import registers one household; the same file again is a no-op at the same position
    first, again = _one(registry, "already_imported")
    assert (first["registered"], first["already_imported"], again["already_imported"]) == (1, False, True)
    assert again["position"] == first["position"]
    household = _one(registry, "household_number")[0]
    assert (household["household_number"], household["member_count"]) == ("4210810001", 2)
    assert [{"village_code": "421081100001", "category": "exited", "households": 1}] in registry
    # the file's 乡镇 and 村名称 columns named the township and the village (issue 26 §3)
    assert next(a for a in registry if isinstance(a, list) and a and "level" in a[0]) == [
        {"code": "421081100", "level": "township", "name": "新厂镇"},
        {"code": "421081100001", "level": "village", "name": "新厂村"}]
    projections = next(a for a in registry if isinstance(a, list) and a and "lag" in a[0])
    assert {p["name"] for p in projections} >= {"access", "registry", "policy", "employment"}
    assert (workdir / "households.csv").exists()

    # the preset's parameters, each with its source
    policy = next(a for a in employment if isinstance(a, list) and a and "source" in a[0])
    rate = next(p for p in policy if p["name"] == "subsidy.worker_wage_rate")
    assert rate["value"] == "0.20" and rate["source"].startswith("preset shangyou-2017")
    # the slip is reported unverified, then verified by the statement line's reference
    assert _one(employment, "reported")[0]["verified"] == 0
    assert _one(employment, "statement_id")[0]["matched"] == 1
    # worker_wage 12000 and employer_match 12000 fen, with slip, checks, parameters and the arithmetic
    lines = next(a["items"] for a in employment
                 if isinstance(a, dict) and a.get("items") and "subsidy" in a["items"][0])
    amounts = {line["subsidy"]: line["amount_fen"] for line in lines}
    assert amounts == {"worker_wage": 12000, "employer_match": 12000}
    wage = next(line for line in lines if line["subsidy"] == "worker_wage")["explanation"]
    assert wage["slip"]["version"] == 1 and wage["checks"] and all(c["passed"] for c in wage["checks"])
    assert any(p["name"] == "subsidy.worker_wage_rate" and p["value"] == "0.20"
               and p["source"].startswith("preset shangyou-2017") for p in wage["parameters"])
    assert "0.20 × 600.00元 = 120.00元 (half-up to the fen)" in wage["arithmetic"]
    # the employer reads its slip back: verified, with the worker's name and masked ID
    [read_back] = next(a["items"] for a in employment
                       if isinstance(a, dict) and a.get("items") and "worker_name" in a["items"][0]
                       and "status" in a["items"][0])
    assert (read_back["status"], read_back["worker_name"], read_back["gross_fen"]) == ("verified", "王芳", 60000)
    assert read_back["id_masked"].startswith("4210") and "*" in read_back["id_masked"]
    # the claim is filed with both lines; the county reads it with its payees and totals; its notice is published
    filed = _one(employment, "claim_id")[0]
    detail = _one(employment, "payees")[0]
    assert detail["totals_by_subsidy"] == {"employer_match": 12000, "worker_wage": 12000}
    assert {p["name"]: p["total_fen"] for p in detail["payees"]} == {"王芳": 12000, "石首某服饰": 12000}
    assert (filed["lines"], filed["total_fen"]) == (2, 24000)
    notice_position = employment[-1]["position"]

    # and the county sees the claim in its public notice, which approval cannot cut short
    official = httpx.post(f"http://{address}/admin/tokens", headers=bearer(admin), timeout=60,
                          json={"role": "county_official", "counties": ["421081"], "label": "readme test"})
    assert official.status_code == 201, official.text
    who = bearer(official.json()["token"])
    claims = httpx.get(f"http://{address}/counties/421081/claims", headers=who, timeout=60,
                       params={"min_position": notice_position})
    assert claims.status_code == 200, claims.text
    (claim,) = claims.json()["items"]
    assert (claim["claim_id"], claim["status"], claim["total_fen"]) == (filed["claim_id"], "in_notice", 24000)
    published = date.fromisoformat(claim["notice_published_on"])
    assert published == date.fromisoformat(claim["filed_on"])
    assert date.fromisoformat(claim["notice_ends"]) == published + timedelta(days=7)  # claim.notice_days default
    approval = httpx.post(f"http://{address}/counties/421081/claims/{filed['claim_id']}/approval", headers=who,
                          json={}, timeout=60)
    assert approval.status_code == 422 and "approved_on" in approval.text, approval.text

    # consumption: the received order is the month's recognised sale; its pool is split 30% / the household
    pools = next(a for a in consumption if isinstance(a, dict) and a.get("items") and "pool_fen" in a["items"][0])
    (pool,) = pools["items"]
    assert {s["payee"]: s["amount_fen"] for s in pool["shares"]} == {"4210810001": 14000, "collective": 6000}
    # the catalogue searched with the words as curl sends them, raw UTF-8 (issue 26 §16: a bare 400 in plain text)
    found = next(a for a in consumption if isinstance(a, dict) and a.get("items") and "orderable" in a["items"][0])
    assert [(p["name"], p["orderable"], p["stock"]) for p in found["items"]] == [("石首绿茶", True, 48)]
    progress = next(a for a in consumption if isinstance(a, dict) and a.get("items") and "progress" in a["items"][0])
    assert progress["items"][0]["progress"] == "0.1000"

    # the dashboard counts the sale; the exports are files a spreadsheet opens, headers in both languages
    board = next(a for a in consumption if isinstance(a, dict) and "headline" in a)
    assert board["headline"]["sales_fen"] == 200000 and board["area_level"] == "county"
    import openpyxl

    book = openpyxl.load_workbook(workdir / "townships.xlsx", read_only=True)
    try:  # closed: a read-only workbook left open is an unraisable ResourceWarning in whichever test comes next
        assert next(book.active.iter_rows(values_only=True))[:3] == ("层级 / Level", "区域代码 / Area code",
                                                                     "区域名称 / Area name")
    finally:
        book.close()
    incomes = (workdir / "incomes-2025.csv").read_text(encoding="utf-8-sig").splitlines()
    assert incomes[0].startswith("户编号 / Household number,")
    assert incomes[1].startswith("4210810001,421081100001,新厂村,2,18500.00,0.00,18500.00,9250.00,"), incomes

    # once the province's poverty line and monitoring threshold are recorded, the household is flagged this year
    # (issue 26 §2): its only income this year is its 140.00元 revenue share, 70.00元 a person
    assert [set(a) for a in monitoring[:2]] == [{"position"}, {"position"}]
    (flagged,) = monitoring[2]["items"]
    assert (flagged["household_number"], flagged["village_name"], flagged["per_capita_net_fen"]) == (
        "4210810001", "新厂村", 7000)
    assert "below_poverty_line" in flagged["flags"], flagged


def test_health_answers_exactly_what_the_readme_promises(base_url: str) -> None:
    # issue 26 §15: it answered {"status":"ok","projectors":null}
    promised = re.search(r"`/health` — liveness: 200 `(\{[^`]*\})`", README.read_text(encoding="utf-8"))
    assert promised, "README.md no longer shows what /health answers"
    r = httpx.get(f"{base_url}/health", timeout=60)
    assert r.status_code == 200 and r.json() == json.loads(promised.group(1)), r.text


def test_the_readme_revokes_a_lost_token_as_it_shows(base_url: str, admin_token: str, county_code: str,
                                                     tmp_path: Path) -> None:
    # given an official's token that was lost, and the README's commands (issue 26 §15: they answered 415)
    issued = httpx.post(f"{base_url}/admin/tokens", headers=bearer(admin_token), timeout=60,
                        json={"role": "county_official", "counties": [county_code], "label": "lost in the README test"})
    assert issued.status_code == 201, issued.text
    lost = issued.json()
    [block] = walkthrough_blocks(README.read_text(encoding="utf-8"), "### Lost tokens")
    placeholder = re.compile(r"^TOKEN_ID=\.\.\.(?=\s).*$", re.MULTILINE)
    assert len(placeholder.findall(block)) == 1, block
    script = placeholder.sub(f"TOKEN_ID={lost['token_id']}", block).replace("localhost:8000", base_url[7:])
    # when an admin types them
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", CURL_IN_TESTS + f"ADMIN={admin_token}\n" + script],
                         cwd=tmp_path, capture_output=True, text=True, encoding="utf-8", timeout=120)
    # then both answer (a curl error fails the script), the last with the revocation's position
    assert run.returncode == 0, f"{run.stderr}\n--- stdout:\n{run.stdout}"
    answers = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert all({"token_id", "role", "label"} <= set(t) for t in answers[0]["items"]), answers[0]
    assert isinstance(answers[-1]["position"], int)
    # and the lost token is refused from then on
    deadline = time.monotonic() + 30
    while (r := httpx.get(f"{base_url}/projections", headers=bearer(lost["token"]), timeout=60)).status_code != 401:
        assert time.monotonic() < deadline, r.text
        time.sleep(0.2)
