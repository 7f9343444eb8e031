"""Property: whatever a client sends within the documented request shapes, a command that is accepted never produces
an event a projector fails on (issue 7 §1, issue 23 §2). Hypothesis sends every operation of the OpenAPI document
that writes an event — employment (slip uploads as JSON, CSV and XLSX, corrections, verification, rejection and
voiding of slips, costs, hires and their end, workshops, their certification, refusal and decertification,
trainings, bank statements), claims (filing, review, line rejection and reinstatement, notice, objections,
approval, payment, county adjustment claims, recovery settlements), the registry (households, imports, members
and their removal, ID-number reveals, category changes, other income), administration (counties, organisations,
tokens issued and revoked, preset adoptions, county and scope parameters) and consumption (buyers, reserved
shares, products and their delisting, plans, the seller's application and linkage, prices, stock, reference
prices, orders and every step, refunds, channel sales of sellers and of the county as JSON, CSV and XLSX, linkage
payments, certification steps) — with hostile values among plausible ones (2^63−1, 2^63, 10^11+1, 10^30, exponent
decimals, control characters, long and astral-plane text, dates at 2000-01-01/2099-12-31 and far beyond); a 4xx
is fine, a 5xx fails. The projections must then reach the head of the log with no halted county and no failing
projector, and every event-writing operation of the document must have been sent and accepted at least once
(a new command cannot be forgotten here). Fixed seed (derandomized), so CI runs the same examples every time."""

from __future__ import annotations

import csv
import io
import itertools
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tests.consumption_given import (
    credit_code,
    given_buyer,
    given_certified_product,
    given_certified_seller,
    given_received_order,
)
from tests.conftest import bearer, official_token
from tests.helpers import HEADER, IDENTIFIED, household_payload, households_csv, id_number
from xiaofei.application.tables import CSV_TYPES, XLSX_TYPES
from xiaofei.bootstrap import Services
from xiaofei.domain.clock import business_today
from xiaofei.domain.codes import uscc_check_char
from xiaofei.domain.registry import OTHER_INCOME_TYPES
from xiaofei.rules.parameters import CATALOGUE

EXAMPLES = 24
"""Every example sends every operation (but the steps after a refused one): ~1.5 s an example on 2 cores."""

NOT_EVENT_WRITING = {
    "whatIf": "a POST that only computes (what-if income of households): it writes no event",
}
"""POST operations of the document this test does not need to send, and why. Every other POST, PUT, PATCH or
DELETE operation writes an event and must be sent, and accepted, at least once in the run."""

# Mostly plausible values, so that many commands are accepted, mixed with hostile ones: an accepted command with a
# huge amount, a control character, a long or astral-plane string or a far date is exactly what must never reach a
# projector.
plain = st.text(alphabet="abcXYZ0129-工人", min_size=1, max_size=12)
unicode = st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF, exclude_categories=["Cs"]),
                  min_size=1, max_size=20)
long_texts = st.sampled_from(["长" * 200, "x" * 201, "𠀀" * 100, "a" * 2000, "工" * 2001, "e\u0301" * 100])
texts = st.one_of(plain, plain, plain, st.text(max_size=30), unicode, long_texts)
HUGE = [2**63 - 1, 2**63, 2**64 - 1, 10**11 + 1, 10**12, 10**30, -1, 0]
small_fen, small_count = st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=1000)
fen = st.one_of(*[small_fen] * 5, st.sampled_from([10**11, *HUGE]), st.integers(min_value=2**40, max_value=2**70))
counts = st.one_of(*[small_count] * 5, st.sampled_from([10**9, 10**9 + 1, 2**31, *HUGE]),
                   st.integers(min_value=2**32, max_value=2**70))
plausible_month = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2020, 2030), st.integers(1, 12))
months = st.one_of(plausible_month, plausible_month, plausible_month, st.from_regex(r"\A\d{4}-(0[1-9]|1[0-2])\Z"),
                   st.sampled_from(["2000-01", "2099-12"]))
coming = st.integers(0, 30).map(lambda k: f"{(business_today().year * 12 + business_today().month - 1 + k) // 12}-"
                                         f"{(business_today().month - 1 + k) % 12 + 1:02d}")  # this month or later
plausible_day = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat)
dates = st.one_of(plausible_day, plausible_day, plausible_day, st.dates().map(date.isoformat),
                  st.sampled_from(["9999-12-31", "0001-01-01", "2000-01-01", "2099-12-31"]))
recent = st.integers(min_value=-400, max_value=0).map(lambda d: (business_today() + timedelta(days=d)).isoformat())
stated = st.one_of(recent, recent, recent, dates)  # business dates a step states: not in the future


def on(day: date) -> st.SearchStrategy[str]:
    """Mostly ``day`` (a step that can be accepted), sometimes any date at all."""
    return st.one_of(st.just(day.isoformat()), st.just(day.isoformat()), st.just(day.isoformat()), dates)


def maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly nothing (the server's default, e.g. today), sometimes a value."""
    return st.one_of(st.none(), st.none(), st.none(), values)


decimals = st.one_of(st.sampled_from(["0.15", "0.3", "0.000001", "1", "0", "3", "30", "100000", " 0.2 "]),
                     st.sampled_from(["1e-999999", "1E-1", "1e5", "0.1234567", "NaN", "Infinity", "-0", "1_0", "１０",
                                      "9" * 40, "-1", ""]),
                     st.decimals(allow_nan=False, allow_infinity=False).map(str))


def _slip(workshop: str, worker: str, m: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "workshop_id": st.just(workshop), "month": st.just(m), "id_number": st.just(worker), "gross_fen": fen,
        "days_worked": st.integers(min_value=0, max_value=31),
        "pay_date": st.one_of(st.just(f"{m}-28"), st.just(f"{m}-28"), plausible_day),
        "method": st.sampled_from(["bank", "cash"]), "bank_ref": texts, "payee_account": texts})


def _fresh_month(months_used: Iterator[int]) -> str:
    """A month from 2020-01 (the workers' start) to 2026-11 not used before by this counter (until it wraps): a
    slip of it is new, not a correction that needs its reason."""
    n = next(months_used) % 83
    return f"{2020 + n // 12}-{n % 12 + 1:02d}"


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _table(rows: list[dict[str, Any]], fmt: str) -> tuple[dict[str, str], bytes]:
    """Rows as a CSV or XLSX upload (header row of the dicts' keys): the Content-Type header and the body."""
    header = list(rows[0]) if rows else ["sold_on"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([[str(r[k]) if r[k] is not None else "" for k in header] for r in rows])
        return {"Content-Type": CSV_TYPES[0]}, out.getvalue().encode("utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for r in rows:  # a workbook cannot hold control characters (openpyxl refuses them): they are left out
        sheet.append([r[k] if r[k] is None or isinstance(r[k], int) and abs(r[k]) < 2**53 else
                      ILLEGAL_CHARACTERS_RE.sub("", str(r[k])) for k in header])
    out_b = io.BytesIO()
    book.save(out_b)
    return {"Content-Type": XLSX_TYPES[0]}, out_b.getvalue()


def _upload(io_: Io, url: str, auth: dict[str, str], key: str, rows: list[dict[str, Any]], fmt: str,
            *, json_rows: list[dict[str, Any]] | None = None) -> httpx.Response:
    """An upload of ``rows`` as JSON (``{key: json_rows or rows}``), CSV or XLSX, with an Idempotency-Key."""
    if fmt == "json":
        return io_(url, auth, {key: json_rows if json_rows is not None else rows}, headers=_key(), media=fmt)
    headers, content = _table(rows, fmt)
    return io_(url, auth, None, headers={**headers, **_key()}, content=content, media=fmt)


class Io:
    """One example's client. Every command goes through ``__call__``: a 5xx fails the example; what was sent is
    noted (URL, status, media) for the run's coverage check. Reads are for ids and dates the next step needs."""

    def __init__(self, client: httpx.Client, sent: list[tuple[str, int, str]]) -> None:
        self.client, self.sent, self.kind = client, sent, ""

    def __call__(self, url: str, auth: dict[str, str], body: Any, *, headers: dict[str, str] | None = None,
                 content: bytes | None = None, media: str = "json", method: str = "POST") -> httpx.Response:
        r = self.client.request(method, url, headers={**auth, **(headers or {})},
                                json=body if content is None else None, content=content)
        assert r.status_code < 500, (self.kind, url, r.status_code, r.text[:300])
        self.sent.append((url, r.status_code, media))
        event(f"{self.kind} {url.rsplit('/', 1)[-1]}: {r.status_code}")
        return r

    def get(self, url: str, auth: dict[str, str], **params: Any) -> Any:
        r = self.client.get(url, headers=auth, params=params)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        return r.json()


@contextmanager
def days_passed(services: Services, days: int) -> Iterator[None]:
    """The claims service's clock ``days`` ahead (a claim's public notice runs in real days)."""
    before = services.claims.clock
    services.claims.clock = lambda: before() + timedelta(days=days)
    try:
        yield
    finally:
        services.claims.clock = before


def world(base_url: str, services: Services, admin_token: str) -> dict[str, Any]:
    county = "930002"
    services.registry.register_county(county, "属性县", "测试省", "test")
    official = bearer(official_token(services, county))
    with httpx.Client(base_url=base_url, timeout=60) as c:
        c.post(f"/counties/{county}/policy/adoptions", headers=official, json={"preset": "shangyou-2017"})
        c.post(f"/counties/{county}/household-imports", headers={**official, "Content-Type": "text/csv"},
               content=households_csv(county, 2, members=1))
        org = "91930002MA00001X0"
        org += uscc_check_char(org)
        assert c.post(f"/counties/{county}/organisations", headers=official,
                      json={"credit_code": org, "name": "企业", "form": "enterprise"}).status_code == 201
        employer = bearer(c.post("/admin/tokens", headers=bearer(admin_token),
                                 json={"role": "employer", "organisation_id": org}).json()["token"])
        workshop, claim_workshop = (c.post(f"/organisations/{org}/workshops", headers=employer, json={
            "name": name, "workshop_type": "factory", "village_code": f"{county}100001"}).json()["id"]
            for name in ("车间", "申报车间"))
        worker = id_number(county, 0, born="19700115")  # household 0's member
        claim_worker = id_number(county, 1, born="19700115")  # household 1's member: slips of the claims only
        review_worker = id_number(county, 77, born="19850101")  # slips that are rejected and voided
        for ws, number in ((workshop, worker), (workshop, review_worker), (claim_workshop, claim_worker)):
            assert c.post(f"/organisations/{org}/workshops/{ws}/workers", headers=employer, json={
                "name": "工人", "id_number": number, "contract_type": "labour_contract",
                "start": "2020-01-01"}).status_code == 201
        assert c.post(f"/counties/{county}/workshops/{claim_workshop}/certification", headers=official, json={
            "plaque_number": "属性-1", "certified_on": "2020-01-01"}).status_code == 201
        assert c.post(f"/counties/{county}/policy/parameters", headers=official, json={  # so it can be accepted
            "name": "certification.township_review", "value": "1", "effective_from": "2000-01-01",
            "source": "县属性测试文件"}).status_code == 201
    households = (f"{county}H0000000", f"{county}H0000001")
    seller = given_certified_seller(services, county)
    product = given_certified_product(services, seller, households=households, stock=10**6, price_fen=100)
    unit = given_buyer(services, county)
    received = given_received_order(services, unit, product, quantity=5, received_on=business_today())
    token = services.access.issue
    return {"county": county, "official": official, "employer": employer, "org": org, "workshop": workshop,
            "worker": worker, "claim_workshop": claim_workshop, "claim_worker": claim_worker,
            "review_worker": review_worker, "slip_months": itertools.count(), "review_months": itertools.count(),
            "claim_months": itertools.count(),
            "households": households, "seller": seller.credit_code, "product": product,
            "as_seller": bearer(token("seller", [], seller.credit_code, "seller", "test").secret),
            "unit": unit, "as_unit": bearer(token("buyer", [], unit, "buyer", "test").secret),
            "received": str(received), "admin": bearer(admin_token), "services": services, "n": itertools.count(1),
            "counties": set()}


def _settled(base_url: str, services: Services, county: str, admin_token: str, counties: set[str]) -> None:
    """The projections reach the head of the log, and then nothing is halted or failing."""
    head = services.app.head_position()
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=base_url, timeout=60) as c:
        while not all(s["position"] >= head for s in c.get("/projections", headers=bearer(admin_token)).json()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for s in c.get("/projections", headers=bearer(admin_token)).json():  # read after they reached the head
            assert not [h for h in s["halted"] if h["county"] == county], s
            assert not [h for h in s["halted"] if h["county"] in counties], s  # nor a county this run registered
    assert services.projectors_alive()


def employment(kind: str, draw: Any, w: dict[str, Any], send: Io) -> None:
    url = f"/organisations/{w['org']}"
    ws = f"{url}/workshops/{w['workshop']}"
    if kind == "slips":  # as JSON, CSV and XLSX, a month of its own each; then a correction of the JSON one
        slips = [draw(_slip(w["workshop"], w["worker"], _fresh_month(w["slip_months"]))) for _ in range(3)]
        gross, why = draw(fen), draw(texts)
        for slip, fmt in zip(slips, ("json", "csv", "xlsx"), strict=True):
            row = {**{k: v for k, v in slip.items() if k != "gross_fen"},
                   "gross_yuan": str(Decimal(slip["gross_fen"]) / 100)}
            _upload(send, f"{url}/wage-slips", w["employer"], "slips", [row], fmt, json_rows=[slip])
        send(f"{url}/wage-slips", w["employer"], {"slips": [{**slips[0], "gross_fen": gross,
                                                             "correction_reason": why}]}, headers=_key())
    elif kind == "slip_review":  # an official rejects a slip, the employer voids another
        month, why, why_not = _fresh_month(w["review_months"]), draw(texts), draw(texts)
        r = send(f"{url}/wage-slips", w["employer"], {"slips": [{
            "workshop_id": w["workshop"], "month": month, "id_number": w["review_worker"], "gross_fen": 60000,
            "days_worked": 22, "pay_date": f"{month}-28", "method": "cash"}]}, headers=_key())
        if r.status_code == 201:
            items = send.get(f"{url}/slips", w["employer"], workshop_id=w["workshop"], month=month,
                             min_position=r.json()["position"])["items"]
            for item in items:
                path = f"/workshops/{w['workshop']}/slips/{month}/{item['slip_id']}"
                send(f"/counties/{w['county']}{path}/rejection", w["official"], {"reason": why_not})
                send(f"{url}{path}/void", w["employer"], {"reason": why})
    elif kind == "cost":
        send(f"{ws}/costs", w["employer"], {"month": draw(months), "kind": "rent", "amount_fen": draw(fen),
                                            "evidence": draw(texts)})
    elif kind == "hire":  # and the end of that employment
        n = next(w["n"])
        hired = id_number(w["county"], n % 500, born=f"19{80 + n // 500 % 20}0101")
        name, start, end, why = draw(texts), draw(dates), draw(dates), draw(texts)
        r = send(f"{ws}/workers", w["employer"], {"name": name, "id_number": hired,
                                                  "contract_type": "labour_contract", "start": start})
        if r.status_code == 201:
            send(f"{ws}/workers/{r.json()['id']}/end", w["employer"], {"end": end, "reason": why})
    elif kind == "training":
        send(f"{ws}/trainings", w["employer"], {"held_on": draw(dates), "course": draw(texts), "hours": draw(counts),
                                                "trainees": [{"name": "工人", "id_number": w["worker"]}]})
    elif kind == "workshop":  # two workshops: one certified, then decertified; the other refused
        name, premises, plaque, certified, effective, why, why_not = (draw(texts), draw(texts), draw(texts),
                                                                      draw(dates), draw(dates), draw(texts),
                                                                      draw(texts))
        made = [send(f"{url}/workshops", w["employer"], {"name": name, "workshop_type": "factory",
                                                         "village_code": f"{w['county']}100001",
                                                         "premises": premises}) for _ in range(2)]
        county = f"/counties/{w['county']}/workshops"
        if made[0].status_code == 201:
            send(f"{county}/{made[0].json()['id']}/certification", w["official"],
                 {"plaque_number": plaque, "certified_on": certified})
            send(f"{county}/{made[0].json()['id']}/decertification", w["official"],
                 {"effective_date": effective, "reason": why})
        if made[1].status_code == 201:
            send(f"{county}/{made[1].json()['id']}/refusal", w["official"], {"reason": why_not})
    else:  # statement
        line = f"{draw(dates)},{draw(st.integers(1, 10**20))},{draw(texts)},,{draw(texts)}"
        send(f"{url}/bank-statements", w["employer"], None, headers={"Content-Type": "text/csv"},
             content=f"date,amount_yuan,payee_name,payee_account,reference\n{line}\n".encode())


def _steps(lines: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    """The values of a claim's steps (drawn before anything is sent: what is drawn never depends on answers)."""
    return st.fixed_dictionaries({
        "line": st.sampled_from(lines), "why_not": texts, "why_again": texts, "published": maybe(dates),
        "objection": texts, "lodged": maybe(dates), "resolution": texts, "approved": maybe(dates),
        "paid": maybe(dates), "reference": st.one_of(plain, plain, texts)})


def _through_payment(s: dict[str, Any], w: dict[str, Any], send: Io, claim_id: str, position: int) -> int:
    """A claim reviewed (a line rejected, then reinstated for a later claim), noticed, objected to, resolved,
    approved once its notice has run, and paid: each step with the values ``s``, sent whatever the last answered.
    Returns the log position of the last step accepted that this reads back."""
    county, today = w["county"], business_today()
    line, why_not, why_again, published, objection, lodged, resolution, approved, paid, reference = (
        s[k] for k in ("line", "why_not", "why_again", "published", "objection", "lodged", "resolution", "approved",
                       "paid", "reference"))
    base = f"/counties/{county}/claims/{claim_id}"
    send(f"{base}/review", w["official"], None)
    send(f"{base}/lines/{line}/rejection", w["official"], {"reason": why_not})
    send(f"{base}/lines/{line}/reinstatement", w["official"], {"reason": why_again})
    send(f"{base}/review/completion", w["official"], None)
    send(f"{base}/notice", w["official"], {} if published is None else {"published_on": published})
    r = send(f"{base}/objections", w["official"], {"text": objection, **({} if lodged is None else
                                                                          {"lodged_on": lodged})})
    if r.status_code == 201:
        send(f"{base}/objections/{r.json()['number']}/resolution", w["official"], {"resolution": resolution})
        position = r.json()["position"]
    view = send.get(base, w["official"], min_position=position)["claim"]
    ends = view["notice_ends"]
    with days_passed(w["services"], (date.fromisoformat(ends) - today).days + 1 if ends else 0):
        send(f"{base}/approval", w["official"], {} if approved is None else {"approved_on": approved})
        due = Counter[str]()
        for item in view["lines"]:
            if item["rejected_reason"] is None:
                due[item["payee"]] += item["amount_fen"]
        payees = {payee for payee, amount in due.items() if amount > 0}  # a clawback pays nobody: it is owed back
        r = send(f"{base}/payment", w["official"], {"references": {p: reference for p in sorted(payees)},
                                                    **({} if paid is None else {"paid_on": paid})})
    return int(r.json()["position"]) if r.status_code == 201 else position


def claims(kind: str, draw: Any, w: dict[str, Any], send: Io) -> None:
    """A verified slip of a month of its own claimed and paid; the slip voided, so that the county files an
    adjustment claim that claws the payment back, and settles (part of) the recovery."""
    org, county, workshop = w["org"], w["county"], w["claim_workshop"]
    month = _fresh_month(w["claim_months"])  # a month of its own: something to claim
    # the amounts and words that open the way (the slip, its proof) mostly plausible: hostile amounts of slips are
    # the "slips" kind's; here they would end the chain before the claim steps it exists for
    gross = draw(st.integers(10000, 10**6))
    why, why_void = draw(st.one_of(st.just("现金签收单与考勤表核对一致"), texts)), draw(st.one_of(plain, plain, texts))
    recovered, payee, reference = draw(st.one_of(*[st.integers(1, 100)] * 3, fen)), draw(
        st.sampled_from(["employer", "employer", "worker"])), draw(st.one_of(plain, plain, texts))
    # the claim has two lines (worker, employer); the adjustment one, rejected less often (it leaves nothing owed)
    claimed, adjusted = draw(_steps([1, 1, 2, 99])), draw(_steps([99, 99, 99, 1]))
    r = send(f"/organisations/{org}/wage-slips", w["employer"], {"slips": [{
        "workshop_id": workshop, "month": month, "id_number": w["claim_worker"], "gross_fen": gross,
        "days_worked": 22, "pay_date": f"{month}-28", "method": "cash"}]}, headers=_key())
    if r.status_code != 201:
        return
    items = send.get(f"/organisations/{org}/slips", w["employer"], workshop_id=workshop, month=month,
                     min_position=r.json()["position"])["items"]
    for item in items:
        send(f"/counties/{county}/workshops/{workshop}/slips/{month}/{item['slip_id']}/verification", w["official"],
             {"reason": why})
    r = send(f"/organisations/{org}/claims", w["employer"], {"period_from": month, "period_to": month})
    if r.status_code == 201:
        _through_payment(claimed, w, send, r.json()["claim_id"], r.json()["position"])
    for item in items:
        send(f"/organisations/{org}/workshops/{workshop}/slips/{month}/{item['slip_id']}/void", w["employer"],
             {"reason": why_void})
    r = send(f"/counties/{county}/adjustment-claims", w["official"], {"organisation": org})
    if r.status_code == 201:
        claim_id = r.json()["claim_id"]
        position = _through_payment(adjusted, w, send, claim_id, r.json()["position"])
        view = send.get(f"/counties/{county}/claims/{claim_id}", w["official"], min_position=position)["claim"]
        payees = sorted({p["payee"] for p in view["payments"]}  # what the clawback made owed
                        or {line["payee"] for line in view["lines"]}) or ["employer"]
        send(f"/counties/{county}/recoveries/settlement", w["official"], {
            "organisation": org, "payee": next((p for p in payees if p.startswith(payee)), payees[0]),
            "amount_fen": recovered, "reference": reference})
    else:  # nothing to recover: the settlement is refused, but sent all the same
        send(f"/counties/{county}/recoveries/settlement", w["official"], {
            "organisation": org, "payee": "employer", "amount_fen": recovered, "reference": reference})


def registry_and_policy(kind: str, draw: Any, w: dict[str, Any], send: Io) -> None:
    county = f"/counties/{w['county']}"
    household = f"{county}/households/{draw(st.sampled_from(w['households']))}"
    if kind == "category":
        send(f"{household}/category-changes", w["official"], {
            "category": draw(st.sampled_from(["ordinary", "exited"])), "effective_date": draw(dates),
            "reason": "exited", "note": draw(texts)})
    elif kind == "member":
        serial = draw(st.integers(100, 999))
        send(f"{household}/members", w["official"], {"joined_on": draw(stated), "member": {
            "person_number": f"{w['households'][0]}{serial}", "name": draw(texts),
            "id_number": id_number(w["county"], serial, born="19900101"), "relation": "child",
            "labour_capacity": "normal"}})
    elif kind == "household":  # registered (two members: one removed, one's ID number revealed) and imported
        n = next(w["n"])
        number = f"{w['county']}R{n:07d}"
        payload = household_payload(w["county"], number, serial=500 + n % 400)
        payload["members"][0]["name"], payload["effective_date"] = draw(texts), draw(dates)
        left_on, why, purpose = draw(stated), draw(texts), draw(texts)
        names = draw(st.lists(texts, min_size=1, max_size=3))
        r = send(f"{county}/households", w["official"], payload)
        if r.status_code == 201:
            member = f"{county}/households/{number}/members"
            send(f"{member}/{number}02/removal", w["official"], {"left_on": left_on, "reason": why})
            send(f"{member}/{number}01/id-number-reveals", w["official"], {"purpose": purpose})
        out = io.StringIO()
        rows = csv.writer(out)
        rows.writerow(HEADER)
        for i, name in enumerate(names):
            imported = f"{w['county']}I{n:04d}{i:03d}"
            rows.writerow([w["county"], f"{w['county']}100001", imported, f"{imported}01", name,
                           id_number(w["county"], n % 100, born=f"1950{i + 1:02d}01", male=n // 100 % 2 == 0),
                           "户主", "普通劳动力", "因病", "脱贫户", IDENTIFIED])
        send(f"{county}/household-imports", w["official"], None, headers={"Content-Type": "text/csv"},
             content=out.getvalue().encode(), media="csv")
    elif kind == "area":  # the county's area list: a township's and a village's name
        send(f"{county}/areas", w["official"], {"areas": [
            {"code": f"{w['county']}100", "name": draw(texts)},
            {"code": draw(st.sampled_from([f"{w['county']}100001", f"{w['county']}100999", "000000000000"])),
             "name": draw(texts)}]}, method="PUT")
    elif kind == "other_income":
        send(f"{household}/other-income", w["official"], {
            "year": draw(st.integers(2013, 2030)), "income_type": draw(st.sampled_from(sorted(OTHER_INCOME_TYPES))),
            "amount_fen": draw(fen), "note": draw(texts)})
    else:  # parameter: its bounds and default (valid, at the edges) or anything
        send(f"{county}/policy/parameters", w["official"], _parameter(draw))


def _parameter(draw: Any) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(CATALOGUE)))
    edges = [v for v in (CATALOGUE[name].minimum, CATALOGUE[name].maximum, CATALOGUE[name].default) if v]
    return {"name": name, "value": draw(st.one_of(st.sampled_from(edges), st.sampled_from(edges), decimals)),
            "effective_from": draw(dates), "source": "县属性测试文件",
            **draw(st.fixed_dictionaries({}, optional={"effective_to": dates,
                                                       "era": st.sampled_from(["campaign", "transition"])}))}


def administration(kind: str, draw: Any, w: dict[str, Any], send: Io) -> None:
    """The admin registers a county, issues it an official's token (which adopts a preset there), records a
    parameter of a scope, and issues a seller's token to an organisation the county registers (which applies to be
    certified); both tokens are revoked at the end (never the session's admin token: it is the last one)."""
    n = next(w["n"])
    code = f"8{n:04d}2"  # province 800000: no county of the suite's county_code fixture (9nnn01) is there
    w["counties"].add(code)
    name, province, label, preset = draw(texts), draw(texts), draw(texts), draw(st.one_of(
        st.just("shangyou-2017"), st.just("shangyou-2017"), texts))
    # scopes of this county alone (its province, city, itself): the suite shares one database, and a national
    # parameter would change the rules of every other test's county; the national scope takes the same path
    scope = draw(st.sampled_from(["800000", code[:4] + "00", code]))
    parameter = _parameter(draw)
    org = f"91{w['county']}MB{n:06d}X"
    org += uscc_check_char(org)
    org_name, form, address, applied, why = (draw(texts), draw(st.sampled_from(["enterprise", "cooperative",
                                                                               "enterprise", "family_farm"])),
                                             draw(texts), draw(stated), draw(texts))
    tokens = []
    send("/counties", w["admin"], {"code": code, "name": name, "province": province})
    r = send("/admin/tokens", w["admin"], {"role": "county_official", "counties": [code], "label": label})
    if r.status_code == 201:
        tokens.append(r.json()["token_id"])
        send(f"/counties/{code}/policy/adoptions", bearer(r.json()["token"]), {"preset": preset})
    send(f"/policy/scopes/{scope}/parameters", w["admin"], parameter)
    send(f"/counties/{w['county']}/organisations", w["official"], {"credit_code": org, "name": org_name,
                                                                   "form": form, "address": address})
    r = send("/admin/tokens", w["admin"], {"role": "seller", "organisation_id": org})
    if r.status_code == 201:
        tokens.append(r.json()["token_id"])
        send(f"/organisations/{org}/seller/application", bearer(r.json()["token"]), {"applied_on": applied})
    for token_id in tokens:
        send(f"/admin/tokens/{token_id}/revoke", w["admin"], {"reason": why})


def consumption(kind: str, draw: Any, w: dict[str, Any], send: Io) -> None:
    seller, county = f"/organisations/{w['seller']}", f"/counties/{w['county']}"
    product = f"{seller}/products/{w['product'].product_id}"
    if kind == "buyer":
        send(f"{county}/buyers", w["official"], {"name": draw(texts), "buyer_type": "budget_unit",
                                                 "credit_code": credit_code(w["county"], "11")})
    elif kind == "reserved_share":
        send(f"/organisations/{w['unit']}/reserved-shares", w["as_unit"], {
            "year": draw(st.integers(2015, 2026)), "kind": "canteen", "canteen_budget_fen": draw(fen),
            "reserved_share_rate": draw(st.sampled_from(["0.10", "0.3", "1", "0.9999"]))})
    elif kind == "product":  # listed, then delisted
        r = send(f"{seller}/products", w["as_seller"], {
            "name": draw(texts), "category": "tea", "specification": draw(texts), "unit": "罐",
            "price_fen": draw(fen), "stock": draw(counts), "origin_county": w["county"],
            "yearly_capacity": draw(counts), "plan": {
                "households": [{"household_number": w["households"][0], "weight": draw(counts)}],
                "mechanisms": ["revenue_share"], "revenue_share_rate": "0.10"}})
        why = draw(texts)
        if r.status_code == 201:
            send(f"{seller}/products/{r.json()['product_id']}/delisting", w["as_seller"], {"reason": why})
    elif kind == "plan":
        send(f"{product}/plan", w["as_seller"], {"effective_month": draw(st.one_of(coming, coming, months)),
                                                 "reason": draw(texts), "plan": {
            "households": [{"household_number": h, "weight": draw(counts)} for h in w["households"]],
            "mechanisms": ["revenue_share"], "revenue_share_rate": draw(st.sampled_from(["0.10", "1", "0.0001"]))}})
    elif kind == "seller_linkage":
        send(f"{seller}/seller/linkage", w["as_seller"], {"mechanisms": ["procurement", "revenue_share"],
                                                          "description": draw(texts), "declared_on": draw(stated)})
    elif kind == "price":
        send(f"{product}/price", w["as_seller"], {"price_fen": draw(fen), "reason": draw(texts)})
    elif kind == "stock":
        send(f"{product}/stock", w["as_seller"], {"delta": draw(st.one_of(counts, counts.map(lambda n: -n))),
                                                  "reason": "盘点"})
    elif kind == "reference_price":
        send(f"{county}/reference-prices", w["official"], {
            "category": "tea", "specification": "250g", "unit": "罐", "price_fen": draw(fen),
            "effective_from": draw(dates), "source": draw(texts)})
    elif kind == "order":  # placed, paid, shipped, received and completed; another placed and cancelled
        unit, today = f"/organisations/{w['unit']}/orders", business_today()
        # every value is drawn before anything is sent: what is drawn never depends on what the server answered
        quantity, paid, shipped, received = draw(counts), draw(on(today)), draw(on(today)), draw(on(today))
        completed, why = draw(on(today)), draw(texts)
        lines = [{"product_id": str(w["product"].product_id), "quantity": quantity}]
        r = send(unit, w["as_unit"], {"lines": lines}, headers=_key())
        if r.status_code == 201:
            order = r.json()["order_id"]
            send(f"{unit}/{order}/payment", w["as_unit"], {"paid_on": paid, "payment_reference": "P-1"},
                 headers=_key())
            send(f"{seller}/orders/{order}/shipment", w["as_seller"], {"shipped_on": shipped}, headers=_key())
            send(f"{unit}/{order}/receipt", w["as_unit"], {"received_on": received}, headers=_key())
            send(f"{unit}/{order}/completion", w["as_unit"], {"completed_on": completed}, headers=_key())
        r = send(unit, w["as_unit"], {"lines": [{**lines[0], "quantity": 1}]}, headers=_key())
        if r.status_code == 201:
            send(f"{unit}/{r.json()['order_id']}/cancellation", w["as_unit"], {"reason": why}, headers=_key())
    elif kind == "refund":
        send(f"{seller}/orders/{w['received']}/refunds", w["as_seller"], {"line_no": 1, "amount_fen": draw(st.one_of(
                                                                              st.integers(1, 50), fen)),
                                                                          "reason": "质量问题"}, headers=_key())
    elif kind in ("channel_sales", "county_channel_sales"):  # a seller's or the county's, as JSON, CSV and XLSX
        url, auth = ((f"{seller}/channel-sales", w["as_seller"]) if kind == "channel_sales" else
                     (f"{county}/channel-sales", w["official"]))
        for fmt in ("json", "csv", "xlsx"):
            rows = [{"sold_on": draw(stated), "certificate_number": w["product"].certificate_number,
                     "quantity": draw(counts), "amount_fen": draw(fen), "channel": "counter",
                     "reference": uuid.uuid4().hex[:12], "buyer_type": "enterprise", "tag": draw(maybe(texts))}]
            _upload(send, url, auth, "sales", rows, fmt)
    elif kind == "linkage_payment":
        send(f"{seller}/linkage-payments", w["as_seller"], {
            "kind": "procurement", "payee": draw(st.sampled_from(w["households"])), "amount_fen": draw(fen),
            "paid_on": draw(stated), "reference": uuid.uuid4().hex[:12], "produce": "grain_oil", "quantity": "500 斤"})
    else:  # certification: a product listed, applied for, reviewed, noticed and certified on the dates drawn
        r = send(f"{seller}/products", w["as_seller"], {
            "name": "认定茶", "category": "tea", "specification": "500g", "unit": "罐", "price_fen": 100,
            "stock": 10, "origin_county": w["county"], "yearly_capacity": 100, "plan": {
                "households": [], "mechanisms": ["procurement"], "revenue_share_rate": "0"}})
        start = business_today() - timedelta(days=draw(st.integers(20, 400)))
        applied, township, reviewed, published, lodged, resolved, certified, renewed, suspended, reinstated, revoked = (
            draw(on(start + timedelta(days=d))) for d in (0, 1, 1, 2, 3, 4, 12, 13, 14, 16, 18))
        objection, opinion = draw(texts), draw(texts)
        outcome = draw(st.sampled_from(["dismissed", "dismissed", "dismissed", "upheld", "maybe"]))
        r = send(f"{seller}/products/{r.json()['product_id']}/certification-application", w["as_seller"],
                 {"applied_on": applied})
        if r.status_code == 201:
            cert = f"{county}/certifications/{r.json()['certification_id']}"
            send(f"{cert}/township-review", w["official"], {"reviewed_on": township, "approved": True,
                                                            "opinion": opinion})
            send(f"{cert}/county-review", w["official"], {"reviewed_on": reviewed, "approved": True,
                                                          "opinion": "同意", "price_acknowledged": True})
            send(f"{cert}/notice", w["official"], {"published_on": published})
            r = send(f"{cert}/objections", w["official"], {"text": objection, "lodged_on": lodged})
            if r.status_code == 201:
                send(f"{cert}/objections/{r.json()['number']}/resolution", w["official"], {
                    "outcome": outcome, "reason": opinion, "resolved_on": resolved})
            send(f"{cert}/certificate", w["official"], {"certificate_number": uuid.uuid4().hex[:10],
                                                        "certified_on": certified})
            send(f"{cert}/renewal", w["official"], {"reviewed_on": renewed, "opinion": "复核"})
            send(f"{cert}/suspension", w["official"], {"suspended_on": suspended, "reason": "整改"})
            send(f"{cert}/reinstatement", w["official"], {"reinstated_on": reinstated, "reason": "整改完成"})
            send(f"{cert}/revocation", w["official"], {"revoked_on": revoked, "reason": "停产"})


KINDS: dict[str, Callable[[str, Any, dict[str, Any], Io], None]] = {
    **dict.fromkeys(("slips", "slip_review", "cost", "hire", "training", "workshop", "statement"), employment),
    "claim": claims,
    **dict.fromkeys(("category", "member", "household", "area", "other_income", "parameter"),
                    registry_and_policy),
    "administration": administration,
    **dict.fromkeys(("buyer", "reserved_share", "product", "plan", "seller_linkage", "price", "stock",
                     "reference_price", "order", "refund", "channel_sales", "county_channel_sales",
                     "linkage_payment", "certification"), consumption),
}


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, re.Pattern[str]]]:
    """Operation id → (method, path pattern) of every operation that may write (POST, PUT, PATCH, DELETE)."""
    return {op["operationId"]: (method, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"))
            for path, item in document["paths"].items() for method, op in item.items()
            if method in ("post", "put", "patch", "delete") and isinstance(op, dict)}


def test_every_accepted_command_leaves_every_projection_healthy_and_every_command_is_sent(
        base_url: str, services: Services, admin_token: str) -> None:
    """Each example sends every kind of command once, in an order of its own; then the projections must settle,
    and every event-writing operation of the OpenAPI document must have been sent and accepted in the run."""
    w = world(base_url, services, admin_token)
    sent: list[tuple[str, int, str]] = []

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        kinds = data.draw(st.permutations(sorted(KINDS)))
        with httpx.Client(base_url=base_url, timeout=60) as c:
            send = Io(c, sent)
            for kind in kinds:
                send.kind = kind
                KINDS[kind](kind, data.draw, w, send)

    example()
    _settled(base_url, services, w["county"], admin_token, w["counties"])

    with httpx.Client(base_url=base_url, timeout=60) as c:
        operations = _operations(c.get("/schema/openapi.json").json())
    assert set(NOT_EVENT_WRITING) <= set(operations)  # the exemptions name real operations
    writing = {op: pattern for op, (_, pattern) in operations.items() if op not in NOT_EVENT_WRITING}
    assert {method for method, _ in operations.values()} <= {"post", "put"}  # what ``Io`` sends
    answers: dict[str, Counter[int]] = {op: Counter() for op in writing}
    media: set[tuple[str, str]] = set()
    for url, status, fmt in sent:
        matched = [op for op, pattern in writing.items() if pattern.match(url)]
        assert len(matched) == 1, (url, matched)
        answers[matched[0]][status] += 1
        if 200 <= status < 300:
            media.add((matched[0], fmt))
    never_sent = sorted(op for op, seen in answers.items() if not seen)
    never_accepted = sorted(op for op, seen in answers.items() if seen and not any(200 <= s < 300 for s in seen))
    assert (never_sent, never_accepted) == ([], []), {op: dict(answers[op]) for op in never_accepted}
    for upload in ("uploadWageSlips", "uploadChannelSales", "uploadCountyChannelSales"):
        assert {fmt for op, fmt in media if op == upload} == {"json", "csv", "xlsx"}, upload
