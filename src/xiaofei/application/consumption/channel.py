"""Channel sales (渠道销售): sales of certified products on the 832 platform, e-commerce shops, 专柜 counters and
offline, uploaded by a seller (its own products) or a county official (products of the county).

An upload is all or nothing, with every row error listed. A row counts under the same rules as a platform order: the
product's certificate and its seller's both cover the sale date (not before the start, not after the expiry, not
while suspended or revoked). A sale is known by its seller, its channel and the channel's reference: one the same
seller recorded before, by any upload (its own or the county's), is ``already_known`` (not an error, not a second
sale); another seller's row under the same reference is another sale. The receipt is keyed by uploader and
``Idempotency-Key``: the same key with the same bytes is answered from the receipt, with other bytes 409.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from xiaofei.application.app import MAX_ATTEMPTS
from xiaofei.application.consumption.common import ConsumptionBase
from xiaofei.application.consumption.channel_rows import Parsed, SaleRow, raise_problems
from xiaofei.application.consumption.orders import check_key
from xiaofei.domain import ids
from xiaofei.domain.consumption.buyers import CREDITS_A_UNIT, Buyer
from xiaofei.domain.consumption.certification import CertificateNumber, Certification
from xiaofei.domain.consumption.channel import ChannelSale, ChannelSaleFacts, ChannelUpload, PriceWarning
from xiaofei.domain.consumption.products import PriceBook, Product
from xiaofei.domain.errors import Conflict, FieldProblem, NotFound


@dataclass(frozen=True)
class Uploaded:
    receipt: ChannelUpload
    replayed: bool
    position: int


@dataclass(frozen=True)
class _Certificate:
    product_id: UUID | None
    seller: str
    problem: str | None
    product: Certification | None
    seller_cert: Certification | None


_SALE_TOPIC = get_topic(ChannelSale)


def _recorded(county: str, sale: ChannelSaleFacts, sale_id: UUID, upload_id: UUID, actor: str) -> ChannelSale.Recorded:
    """The event a ``ChannelSale(...)`` would record, made without building the aggregate: its constructor decides
    nothing, and building 100,000 of them was half an upload's time."""
    return ChannelSale.Recorded(originator_id=sale_id, originator_version=1,
                                timestamp=ChannelSale.Recorded.create_timestamp(), originator_topic=_SALE_TOPIC,
                                county=county, sale=sale, upload_id=upload_id, actor=actor)


def county_uploader(county: str) -> str:
    return f"county:{county}"


class ChannelSalesService(ConsumptionBase):
    # -- uploading ----------------------------------------------------------------------------------------

    def upload(self, county: str, seller: str | None, key: str, content: bytes, media_type: str,
               parsed: Parsed, actor: str) -> Uploaded:
        """``seller`` uploads its own products' sales (``county`` is its county); without one, an official of
        ``county`` uploads sales of any product of the county."""
        check_key(key)
        uploader = seller or county_uploader(county)
        digest = hashlib.sha256(content).hexdigest()
        receipt_id = ChannelUpload.create_id(uploader, key)
        for _ in range(MAX_ATTEMPTS):
            replay = self._replay(receipt_id, digest)
            if replay is not None:
                return replay
            decided = self._decide(county, seller, parsed.rows, list(parsed.problems))
            sales = [sale for _, sale in decided]
            sale_ids = [ChannelSale.create_id(s) for s in sales]
            known = set(self.app.existing_versions(sale_ids)) | self._known_before(sales)
            new = [(row, s, sale_id) for (row, s), sale_id in zip(decided, sale_ids) if sale_id not in known]
            receipt = ChannelUpload(uploader=uploader, county=county, idempotency_key=key, file_sha256=digest,
                                    media_type=media_type, rows=parsed.count, recorded=len(new),
                                    already_known=len(sales) - len(new), actor=actor,
                                    price_warnings=self._price_warnings(county, [(row, s) for row, s, _ in new]))
            events = [*receipt.collect_events(), *(_recorded(county, s, sale_id, receipt.id, actor)
                                                   for _, s, sale_id in new)]
            try:
                position = self.app.record_events(events)
            except IntegrityError:
                continue  # the same key, or one of these sales, was recorded meanwhile: decide again
            return Uploaded(receipt, False, position)
        raise Conflict("the sales kept changing while we tried to record them; try again")

    def _price_warnings(self, county: str, rows: list[tuple[int, ChannelSaleFacts]]) -> list[PriceWarning]:
        """The recorded rows whose unit price is outside the band around the county's reference price, both as in
        force on the sale day (no reference for the product's category, specification and unit: no warning)."""
        book = self.maybe(PriceBook.create_id(county), PriceBook)
        if book is None:
            return []
        products: dict[UUID, Product | None] = {}
        bands: dict[date, Decimal] = {}
        warnings = []
        for row, s in rows:
            if s.product_id not in products:
                products[s.product_id] = self.maybe(s.product_id, Product)
            product = products[s.product_id]
            reference = book.reference(product.category, product.specification, product.unit, s.sold_on) \
                if product is not None else None
            if reference is None or s.quantity <= 0:
                continue
            if s.sold_on not in bands:
                bands[s.sold_on] = Decimal(self.parameter(county, "product.price_band_pct", s.sold_on))
            deviation = (Decimal(s.amount_fen) / s.quantity - reference.price_fen) / reference.price_fen
            if abs(deviation) > bands[s.sold_on]:
                warnings.append(PriceWarning(
                    row=row, reference=s.reference, product_id=s.product_id, sold_on=s.sold_on, quantity=s.quantity,
                    amount_fen=s.amount_fen, reference_price_fen=reference.price_fen, band=str(bands[s.sold_on]),
                    deviation=str(deviation.quantize(Decimal("0.0001"), ROUND_HALF_UP))))
        return warnings

    def _known_before(self, sales: list[ChannelSaleFacts]) -> set[UUID]:
        """The (seller-scoped) ids of the sales that were recorded, by the same seller, before sales were known per
        seller (under the channel + reference id): a replay of those rows is still a no-op."""
        legacy = {ids.legacy_channel_sale_id(s.channel, s.reference): s for s in sales}
        found = self.app.existing_versions(list(legacy))
        out = set()
        for legacy_id in found:
            recorded = self.maybe(legacy_id, ChannelSale)
            sale = legacy[legacy_id]
            if recorded is not None and recorded.sale.seller == sale.seller:
                out.add(ChannelSale.create_id(sale))
        return out

    def _replay(self, receipt_id: UUID, digest: str) -> Uploaded | None:
        receipt = self.maybe(receipt_id, ChannelUpload)
        if receipt is None:
            return None
        if receipt.file_sha256 != digest:
            raise Conflict("this Idempotency-Key was used for a different upload; use a new key")
        return Uploaded(receipt, True, self.app.head_position())

    def _certificate(self, county: str, seller: str | None, number: str) -> _Certificate:
        taken = self.maybe(CertificateNumber.create_id(county, number), CertificateNumber)
        if taken is None or taken.subject != "product" or (seller is not None and taken.organisation != seller):
            whose = f"of seller {seller}" if seller else f"in county {county}"
            return _Certificate(None, "", f"no product certificate {number} {whose}", None, None)
        product = self.maybe(taken.certification_id, Certification)
        return _Certificate(UUID(taken.subject_id), taken.organisation, None, product,
                            self.certification("seller", taken.organisation))

    def _decide(self, county: str, seller: str | None, rows: list[SaleRow],
                problems: list[FieldProblem]) -> list[tuple[int, ChannelSaleFacts]]:
        certificates: dict[str, _Certificate] = {}
        budget_units: dict[str, bool] = {}
        first_row: dict[tuple[str, str, str], int] = {}
        sales: list[tuple[int, ChannelSaleFacts]] = []
        for r in rows:
            cert = certificates.get(r.certificate_number)
            if cert is None:
                cert = certificates[r.certificate_number] = self._certificate(county, seller, r.certificate_number)
            if cert.problem is not None:
                problems.append(FieldProblem("certificate_number", cert.problem, r.row))
                continue
            bad = False
            why = _not_valid(cert, r.sold_on, r.certificate_number)
            if why is not None:
                problems.append(FieldProblem("sold_on", why, r.row))
                bad = True
            if r.budget_unit is not None and r.buyer_type not in CREDITS_A_UNIT:
                problems.append(FieldProblem("budget_unit", f"a {r.buyer_type} purchase does not fill a budget "
                                                            "unit's reserved share: only the unit's own, its trade "
                                                            "union's and its staff's (individual) name a unit",
                                             r.row))
                bad = True
            elif r.budget_unit is not None:
                if r.budget_unit not in budget_units:
                    unit = self.maybe(Buyer.create_id(r.budget_unit), Buyer)
                    budget_units[r.budget_unit] = unit is not None and unit.buyer_type == "budget_unit"
                if not budget_units[r.budget_unit]:
                    problems.append(FieldProblem("budget_unit", f"{r.budget_unit} is not a registered budget unit "
                                                                "(预算单位)", r.row))
                    bad = True
            seen = first_row.setdefault((cert.seller, r.channel, r.reference), r.row)
            if seen != r.row:
                problems.append(FieldProblem("reference", f"channel {r.channel} reference {r.reference} of seller "
                                                          f"{cert.seller} is on row {seen} already", r.row))
                bad = True
            if not bad:
                assert cert.product_id is not None
                sales.append((r.row, ChannelSaleFacts(
                    product_id=cert.product_id, seller=cert.seller, certificate_number=r.certificate_number,
                    sold_on=r.sold_on, quantity=r.quantity, amount_fen=r.amount_fen, channel=r.channel,
                    reference=r.reference, buyer_type=r.buyer_type, budget_unit=r.budget_unit, tag=r.tag)))
        raise_problems(problems)
        return sales

    # -- reading ----------------------------------------------------------------------------------------------

    def receipt(self, upload_id: UUID, *, seller: str | None = None, county: str | None = None) -> ChannelUpload:
        """A seller's own upload receipt, or any upload of the county: 404 with the same words otherwise."""
        missing = f"no channel-sales upload {upload_id} of {seller or county}"
        found = self.get(upload_id, ChannelUpload, missing)
        if (seller is not None and found.uploader != seller) or (county is not None and found.county != county):
            raise NotFound(missing)
        return found

    @staticmethod
    def view(receipt: ChannelUpload) -> dict[str, Any]:
        return {"upload_id": receipt.id, "uploader": receipt.uploader, "county": receipt.county,
                "file_sha256": receipt.file_sha256, "media_type": getattr(receipt, "media_type", ""),
                "rows": receipt.rows, "recorded": receipt.recorded, "already_known": receipt.already_known,
                "price_warnings": [msgspec.to_builtins(w) for w in getattr(receipt, "price_warnings", [])],
                "recorded_at": receipt.created_on}


def _not_valid(cert: _Certificate, day: date, number: str) -> str | None:
    """Why a sale on ``day`` does not count under this certificate, or None when it does."""
    product, seller = cert.product, cert.seller_cert
    if product is None or not product.valid_on(day):
        periods = "; ".join(f"{p['from']}–{p['to']}" for p in (product.periods if product else [])) or "none"
        return (f"{day.isoformat()} is outside the certificate {number}'s validity (expired, not yet valid, "
                f"suspended or revoked then; it counts {periods})")
    if seller is None or not seller.valid_on(day):
        return f"{day.isoformat()}: the seller {cert.seller}'s certificate does not cover that day"
    return None
