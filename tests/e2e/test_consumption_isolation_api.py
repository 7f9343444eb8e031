"""One consumption event the projector cannot apply stops only its county: the other counties' consumption reads
go on, the county's answer 503 naming the event."""

from __future__ import annotations

from datetime import date

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import given_buyer, given_certified_product, given_certified_seller, given_received_order
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.channel import ChannelSale, ChannelSaleFacts


async def test_a_channel_sale_past_validation_halts_only_its_countys_consumption_reads(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    other = f"{int(county_code) + 80:06d}"
    services.registry.register_county(other, "邻县", "测试省", "test")
    broken_seller = given_certified_seller(services, county_code)
    broken = given_certified_product(services, broken_seller)
    # an event that slipped past validation (written straight to the store): 2^63 fen cannot be a bigint
    sale = ChannelSaleFacts(product_id=broken.product_id, seller=broken.seller,
                            certificate_number=broken.certificate_number, sold_on=date(2024, 5, 1), quantity=1,
                            amount_fen=2**63, channel="counter", reference="BAD-1", buyer_type="individual",
                            budget_unit=None, tag=None)
    bad_position = services.app.record(ChannelSale(county=county_code, sale=sale, upload_id=broken.product_id,
                                                   actor="test"))
    healthy_seller = given_certified_seller(services, other)
    healthy = given_certified_product(services, healthy_seller)
    given_received_order(services, given_buyer(services, other), healthy, received_on=date(2024, 5, 2))

    r = await http.get(f"/counties/{other}/sales", headers=bearer(official_token(services, other)),
                       params={"min_position": services.app.head_position()})
    assert r.status_code == 200 and r.json()["items"][0]["amount_fen"] == healthy.price_fen, r.text
    r = await http.get(f"/counties/{county_code}/sales", headers=bearer(official_token(services, county_code)))
    assert r.status_code == 503 and f"event {bad_position}" in r.json()["detail"], r.text
    assert "ChannelSale.Recorded" in r.json()["detail"]
