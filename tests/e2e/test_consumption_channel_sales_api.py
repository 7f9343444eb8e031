"""Channel sales through HTTP: a seller (its own products) or a county official (the county's products) uploads
sales on the 832 platform, e-commerce shops, counters and offline as CSV (UTF-8 or GB18030), XLSX or JSON; all or
nothing with every row error listed; a sale counts only while the product's and the seller's certificates cover its
date; a (seller, channel, reference) seen before is already known, never a second sale."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
from eventsourcing.utils import get_topic
from openpyxl import Workbook

from tests.conftest import bearer, official_token
from tests.consumption_given import given_buyer, given_certified_product, given_certified_seller
from tests.e2e.test_consumption_certification_api import day
from tests.e2e.test_consumption_orders_api import token
from xiaofei.bootstrap import Services
from xiaofei.domain import ids
from xiaofei.domain.consumption.certification import Certification
from xiaofei.domain.consumption.channel import ChannelSale, ChannelSaleFacts

HEADER = "sold_on,certificate_number,quantity,amount_fen,channel,reference,buyer_type,budget_unit,tag"
CSV = {"Content-Type": "text/csv"}


def csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"u-{uuid.uuid4().hex}"}


def sale_id(channel: str, reference: str, seller: str = "") -> uuid.UUID:
    return ChannelSale.create_id(ChannelSaleFacts(
        product_id=uuid.uuid4(), seller=seller, certificate_number="", sold_on=date(2024, 1, 1), quantity=1,
        amount_fen=1, channel=channel, reference=reference, buyer_type="", budget_unit=None, tag=None))


async def test_an_upload_records_each_sale_once_and_answers_its_receipt_again(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller)
    unit = given_buyer(services, county_code)
    as_seller = token(services, "seller", seller.credit_code)
    ref = uuid.uuid4().hex[:10]
    body = csv(f"{day(-3)},{tea.certificate_number},3,10500,platform_832,{ref}-1,budget_unit,{unit},",
               f"{day(-2)},{tea.certificate_number},1,3500,ecommerce,{ref}-2,individual,,east_west",
               f"{day(0)},{tea.certificate_number},2,7000,counter,{ref}-3,enterprise,,designated")
    url = f"/organisations/{seller.credit_code}/channel-sales"
    idem = key()
    r = await http.post(url, headers={**as_seller, **CSV, **idem}, content=body)
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["rows"], first["recorded"], first["already_known"], first["replayed"]) == (3, 3, 0, False)
    r = await http.post(url, headers={**as_seller, **CSV, **idem}, content=body)
    assert (r.json()["upload_id"], r.json()["replayed"], r.json()["recorded"]) == (first["upload_id"], True, 3)
    r = await http.post(url, headers={**as_seller, **CSV, **idem}, content=body + b"\n")
    assert r.status_code == 409 and "Idempotency-Key" in r.json()["detail"]

    again = body + f"{day(0)},{tea.certificate_number},5,17500,offline,{ref}-4,enterprise,,\n".encode()
    r = await http.post(url, headers={**as_seller, **CSV, **key()}, content=again)
    assert (r.json()["recorded"], r.json()["already_known"]) == (1, 3), r.text
    recorded = services.app.repository.get(sale_id("platform_832", f"{ref}-1", seller.credit_code))
    assert (recorded.sale.product_id, recorded.sale.budget_unit, recorded.sale.amount_fen) == (
        tea.product_id, unit, 10500)

    r = await http.get(f"{url}/{first['upload_id']}", headers=as_seller)
    assert r.status_code == 200 and r.json()["uploader"] == seller.credit_code and r.json()["rows"] == 3
    official = bearer(official_token(services, county_code))
    r = await http.get(f"/counties/{county_code}/channel-sales/{first['upload_id']}", headers=official)
    assert r.status_code == 200 and r.json()["county"] == county_code
    rival = given_certified_seller(services, county_code)
    r = await http.get(f"/organisations/{rival.credit_code}/channel-sales/{first['upload_id']}",
                       headers=token(services, "seller", rival.credit_code))
    assert r.status_code == 404


async def test_a_sale_outside_the_certificate_is_a_row_error_and_nothing_is_recorded(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    today = date.fromisoformat(day(0))
    seller = given_certified_seller(services, county_code)
    ending = given_certified_product(services, seller, certified_on=today - timedelta(days=100),
                                     valid_to=today - timedelta(days=5))
    paused = given_certified_product(services, seller, certified_on=today - timedelta(days=100))
    cert = services.app.repository.get(paused.certification_id)
    assert isinstance(cert, Certification)
    cert.suspend(today - timedelta(days=10), today, "抽检不合格", "test")
    services.app.record(cert)
    other = given_certified_product(services, given_certified_seller(services, county_code))
    ref = uuid.uuid4().hex[:10]
    body = csv(
        f"{(today - timedelta(days=5)).isoformat()},{ending.certificate_number},1,100,platform_832,{ref}-ok,enterprise,,",
        f"{(today - timedelta(days=4)).isoformat()},{ending.certificate_number},1,100,platform_832,{ref}-late,enterprise,,",
        f"{(today - timedelta(days=101)).isoformat()},{ending.certificate_number},1,100,ecommerce,{ref}-early,enterprise,,",
        f"{(today - timedelta(days=3)).isoformat()},{paused.certificate_number},1,100,counter,{ref}-paused,enterprise,,",
        f"{today.isoformat()},{other.certificate_number},1,100,counter,{ref}-theirs,enterprise,,",
        f"{today.isoformat()},{paused.certificate_number},1,100,wechat,{ref}-x,enterprise,,",
        f"{(today - timedelta(days=11)).isoformat()},{paused.certificate_number},0,100,counter,{ref}-y,enterprise,11000,",
        f"{(today - timedelta(days=11)).isoformat()},{paused.certificate_number},1,100,platform_832,{ref}-ok,enterprise,,",
        f"{(today + timedelta(days=1)).isoformat()},{paused.certificate_number},1,100,counter,{ref}-z,enterprise,,")
    r = await http.post(f"/organisations/{seller.credit_code}/channel-sales",
                        headers={**token(services, "seller", seller.credit_code), **CSV, **key()}, content=body)
    assert r.status_code == 422, r.text
    errors = {(e["row"], e["field"]) for e in r.json()["errors"]}
    assert errors == {(3, "sold_on"), (4, "sold_on"), (5, "sold_on"), (6, "certificate_number"), (7, "channel"),
                      (8, "quantity"), (9, "reference"), (10, "sold_on")}, r.json()["errors"]
    late = next(e for e in r.json()["errors"] if e["row"] == 3)
    assert ending.certificate_number in late["reason"] and "validity" in late["reason"]
    assert services.app.existing_versions([sale_id("platform_832", f"{ref}-ok", seller.credit_code)]) == {}  # all or nothing

    # the budget unit must be registered; an official uploads any product of the county
    official = bearer(official_token(services, county_code))
    body = csv(f"{(today - timedelta(days=11)).isoformat()},{paused.certificate_number},1,100,counter,{ref}-c,"
               f"budget_unit,11{county_code}NOTAUNIT,",
               f"{today.isoformat()},{other.certificate_number},2,200,counter,{ref}-d,enterprise,,")
    r = await http.post(f"/counties/{county_code}/channel-sales", headers={**official, **CSV, **key()}, content=body)
    assert r.status_code == 422 and [(e["row"], e["field"]) for e in r.json()["errors"]] == [(2, "budget_unit")]
    r = await http.post(f"/counties/{county_code}/channel-sales", headers={**official, **CSV, **key()},
                        content=csv(f"{today.isoformat()},{other.certificate_number},2,200,counter,{ref}-d,"
                                    "enterprise,,"))
    assert r.status_code == 201 and r.json()["uploader"] == f"county:{county_code}", r.text


async def test_gb18030_csv_xlsx_and_json_uploads_read_alike(http: httpx.AsyncClient, services: Services,
                                                            county_code: str) -> None:
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller)
    headers = token(services, "seller", seller.credit_code)
    url = f"/organisations/{seller.credit_code}/channel-sales"
    ref = uuid.uuid4().hex[:10]
    chinese = (f"销售日期,产品认定证书编号,数量,金额(分),渠道,渠道订单号,购买方类型,预算单位,帮扶标签\n"
               f"{day(-1).replace('-', '/')},{tea.certificate_number},2,7000,832平台,{ref}-g,企业,,东西部协作\n")
    r = await http.post(url, headers={**headers, **CSV, **key()}, content=chinese.encode("gb18030"))
    assert r.status_code == 201 and r.json()["recorded"] == 1, r.text
    assert services.app.repository.get(sale_id("platform_832", f"{ref}-g", seller.credit_code)).sale.tag == "east_west"

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append([date.fromisoformat(day(-1)), tea.certificate_number, 1, 3500, "counter", f"{ref}-x", "individual"])
    out = io.BytesIO()
    book.save(out)
    r = await http.post(url, headers={**headers, **key(),
                                      "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
                        content=out.getvalue())
    assert r.status_code == 201 and r.json()["recorded"] == 1, r.text

    sale = {"sold_on": day(0), "certificate_number": tea.certificate_number, "quantity": 1, "amount_fen": 3500,
            "channel": "ecommerce", "reference": f"{ref}-j", "buyer_type": "enterprise"}
    r = await http.post(url, headers={**headers, **key()}, json={"sales": [sale, {**sale, "quantity": "1",
                                                                                   "colour": "red"}]})
    assert r.status_code == 422 and {(e["row"], e["field"]) for e in r.json()["errors"]} == {
        (2, "quantity"), (2, "colour")}, r.text
    r = await http.post(url, headers={**headers, **key()}, json={"sales": [sale]})
    assert r.status_code == 201 and r.json()["recorded"] == 1, r.text
    r = await http.post(url, headers={**headers, **key(), "Content-Type": "text/plain"}, content=b"x")
    assert r.status_code == 415


async def test_an_upload_of_more_than_100000_sales_is_refused_whole(http: httpx.AsyncClient, services: Services,
                                                                    county_code: str) -> None:
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller)
    rows = [f"{day(0)},{tea.certificate_number},1,100,offline,cap-{i},enterprise,," for i in range(100_001)]
    r = await http.post(f"/organisations/{seller.credit_code}/channel-sales",
                        headers={**token(services, "seller", seller.credit_code), **CSV, **key()}, content=csv(*rows))
    assert r.status_code == 422, r.text[:500]
    assert r.json()["errors"][0]["field"] == "file" and "100000" in r.json()["detail"]
    assert services.app.existing_versions([sale_id("offline", "cap-0", seller.credit_code)]) == {}


async def test_another_sellers_row_under_the_same_receipt_number_is_another_sale(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Seller A (county X) uploads receipt R; seller B (county Y) then uploads a different product, 5,000.00元 under
    R on the same channel: B's is recorded and counts in county Y, while B's replay of its row is a no-op."""
    other = f"{int(county_code) + 43:06d}"
    services.registry.register_county(other, "乙县", "测试省", "test")
    a, b = given_certified_seller(services, county_code), given_certified_seller(services, other)
    tea, rice = given_certified_product(services, a), given_certified_product(services, b, category="grain_oil")
    ref = f"20260301-{uuid.uuid4().hex[:8]}"
    for seller, product, amount in ((a, tea, 10_000), (b, rice, 500_000)):
        body = csv(f"{day(-1)},{product.certificate_number},1,{amount},platform_832,{ref},individual,,")
        r = await http.post(f"/organisations/{seller.credit_code}/channel-sales",
                            headers={**token(services, "seller", seller.credit_code), **CSV, **key()}, content=body)
        assert (r.status_code, r.json()["recorded"], r.json()["already_known"]) == (201, 1, 0), r.text
    r = await http.post(f"/organisations/{b.credit_code}/channel-sales",
                        headers={**token(services, "seller", b.credit_code), **CSV, **key()}, content=body)
    assert (r.json()["recorded"], r.json()["already_known"]) == (0, 1), r.text
    official = bearer(official_token(services, other))
    r = await http.get(f"/counties/{other}/sales", headers=official,
                       params={"by": "seller", "min_position": services.app.head_position()})
    assert [(row["key"], row["amount_fen"]) for row in r.json()["items"]] == [(b.credit_code, 500_000)], r.text


async def test_a_sale_recorded_under_the_old_channel_and_reference_id_is_still_known_to_its_seller(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """A sale recorded before sales were known per seller (its id from channel and reference only): the same
    seller's replay is already known, another seller's row is a new sale."""
    a, b = given_certified_seller(services, county_code), given_certified_seller(services, county_code)
    tea, rice = given_certified_product(services, a), given_certified_product(services, b, category="grain_oil")
    ref = f"OLD-{uuid.uuid4().hex[:8]}"
    facts = ChannelSaleFacts(product_id=tea.product_id, seller=a.credit_code, certificate_number=tea.certificate_number,
                             sold_on=date.fromisoformat(day(-1)), quantity=1, amount_fen=10_000, channel="counter",
                             reference=ref, buyer_type="individual", budget_unit=None, tag=None)
    services.app.record_events([ChannelSale.Recorded(  # under the id such sales were recorded with
        originator_id=ids.legacy_channel_sale_id("counter", ref), originator_version=1,
        timestamp=ChannelSale.Recorded.create_timestamp(), originator_topic=get_topic(ChannelSale),
        county=county_code, sale=facts, upload_id=uuid.uuid4(), actor="test")])
    for seller, product, expected in ((a, tea, (0, 1)), (b, rice, (1, 0))):
        body = csv(f"{day(-1)},{product.certificate_number},1,10000,counter,{ref},individual,,")
        r = await http.post(f"/organisations/{seller.credit_code}/channel-sales",
                            headers={**token(services, "seller", seller.credit_code), **CSV, **key()}, content=body)
        assert (r.json()["recorded"], r.json()["already_known"]) == expected, r.text


async def test_only_the_unit_its_trade_union_and_its_staff_fill_a_budget_units_reserved_share(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Two 5,000.00元 channel purchases by an enterprise and an east–west partner naming unit U are row errors (and
    nothing is recorded); the unit's own, its trade union's and a staff member's purchases count for U."""
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller)
    unit = given_buyer(services, county_code)
    services.buyers.file_share(unit, date.fromisoformat(day(0)).year, "canteen", 10_000_000, Decimal("0.10"), None,
                               "", "test")
    as_seller = token(services, "seller", seller.credit_code)
    url = f"/organisations/{seller.credit_code}/channel-sales"
    ref = uuid.uuid4().hex[:8]
    bad = csv(f"{day(-1)},{tea.certificate_number},50,500000,platform_832,{ref}-e,enterprise,{unit},",
              f"{day(-1)},{tea.certificate_number},50,500000,platform_832,{ref}-w,east_west_partner,{unit},east_west")
    r = await http.post(url, headers={**as_seller, **CSV, **key()}, content=bad)
    assert r.status_code == 422, r.text
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(2, "budget_unit"), (3, "budget_unit")]
    good = csv(f"{day(-1)},{tea.certificate_number},1,100000,platform_832,{ref}-u,budget_unit,{unit},",
               f"{day(-1)},{tea.certificate_number},1,20000,platform_832,{ref}-t,trade_union,{unit},",
               f"{day(-1)},{tea.certificate_number},1,30000,platform_832,{ref}-i,individual,{unit},")
    r = await http.post(url, headers={**as_seller, **CSV, **key()}, content=good)
    assert r.status_code == 201, r.text
    official = bearer(official_token(services, county_code))
    r = await http.get(f"/counties/{county_code}/reserved-share-progress", headers=official,
                       params={"year": date.fromisoformat(day(0)).year, "min_position": r.json()["position"]})
    (progress,) = [p for p in r.json()["items"] if p["budget_unit"] == unit]
    assert (progress["reserved_fen"], progress["purchased_fen"], progress["progress"]) == (1_000_000, 150_000,
                                                                                           "0.1500")


async def test_rows_at_a_price_the_seller_could_not_charge_are_recorded_and_flagged_with_their_row(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Issue 22 point 8. The county's reference price for the tea is 100.00元 a can (band 20 %): rows of 3 cans for
    315.00元 (105.00 each) pass; 1 can for 500.00元 and 10 cans for 100.00元 are recorded, counted, named on the
    receipt by row and flagged for the county."""
    official = bearer(official_token(services, county_code))
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, price_fen=10_000)
    r = await http.post(f"/counties/{county_code}/reference-prices", headers=official, json={
        "category": "tea", "specification": "250g", "unit": "罐", "price_fen": 10_000, "effective_from": "2024-01-01",
        "source": "县发改局农产品价格监测"})
    assert r.status_code == 201, r.text
    ref = uuid.uuid4().hex[:8]
    body = csv(f"{day(-1)},{tea.certificate_number},3,31500,counter,{ref}-1,individual,,",
               f"{day(-1)},{tea.certificate_number},1,50000,counter,{ref}-2,individual,,",
               f"{day(-1)},{tea.certificate_number},10,10000,counter,{ref}-3,individual,,")
    as_seller = token(services, "seller", seller.credit_code)
    r = await http.post(f"/organisations/{seller.credit_code}/channel-sales", headers={**as_seller, **CSV, **key()},
                        content=body)
    assert r.status_code == 201 and r.json()["recorded"] == 3, r.text
    assert [(w["row"], w["reference"], w["deviation"]) for w in r.json()["price_warnings"]] == [
        (3, f"{ref}-2", "4.0000"), (4, f"{ref}-3", "-0.9000")]
    flags = await http.get(f"/counties/{county_code}/consumption-flags", headers=official,
                           params={"kind": "channel_price_outside_band", "min_position": r.json()["position"]})
    assert sorted((f["evidence"]["row"], f["evidence"]["amount_fen"]) for f in flags.json()["items"]) == [
        (3, 50_000), (4, 10_000)]
    receipt = await http.get(f"/organisations/{seller.credit_code}/channel-sales/{r.json()['upload_id']}",
                             headers=as_seller)
    assert [w["row"] for w in receipt.json()["price_warnings"]] == [3, 4]
