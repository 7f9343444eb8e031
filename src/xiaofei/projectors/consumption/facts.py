"""The consumption facts as rows: certifications and their periods, sellers, products and plans, buyers and
filings, orders and their lines, channel sales, linkage payments, the registry and parameter copies. Each writer
notes in ``Dirty`` what its change can reach; ``derive`` recomputes that at the end of the batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from xiaofei.domain.consumption.buyers import CREDITS_A_UNIT, Buyer
from xiaofei.domain.consumption.certification import Certification
from xiaofei.domain.consumption.channel import ChannelSale, ChannelUpload
from xiaofei.domain.consumption.linkage import LinkageLedger
from xiaofei.domain.consumption.orders import Order
from xiaofei.domain.consumption.products import LinkagePlan, PriceBook, Product
from xiaofei.domain.consumption.sellers import Seller
from xiaofei.domain.policy import PolicyBook
from xiaofei.domain.registry import Household
from xiaofei.rules.consumption import COLLECTIVE, month_of

SHAPING = ("linkage.collective_share", "product.price_band_pct", "worker.eligible_categories")
"""The parameters the consumption rows depend on: pools, price flags, plan-household flags."""
ALL_MONTHS = "0000-00"
"""The effective month of a product's first plan: it rules every month until a change."""


@dataclass
class Dirty:
    recount_products: set[UUID] = field(default_factory=set)
    recount_sellers: set[str] = field(default_factory=set)
    pools: set[tuple[UUID, str]] = field(default_factory=set)
    pools_from: dict[UUID, str] = field(default_factory=dict)
    """Products whose pools from a month on are recomputed (a plan changed from that month)."""
    capacity: set[UUID] = field(default_factory=set)
    prices: set[UUID] = field(default_factory=set)
    plans: set[UUID] = field(default_factory=set)
    households: set[tuple[str, str]] = field(default_factory=set)
    scopes: dict[str, set[str]] = field(default_factory=dict)
    """Parameters that shape consumption rows, by name: the scopes a new version was recorded for."""
    new_sales: set[str] = field(default_factory=set)
    """Sale rows written in this batch: whether they count is decided once the batch's periods are known."""
    log_day: date | None = None
    """The business day of the batch's latest event: what time-dependent flags are judged on."""

    def pools_of(self, product: UUID, month: str) -> None:
        self.pools.add((product, month))

    def plan_from(self, product: UUID, month: str) -> None:
        known = self.pools_from.get(product)
        self.pools_from[product] = month if known is None else min(known, month)


def _plan_row(product: UUID, version: int, month: str, plan: LinkagePlan) -> tuple[Any, ...]:
    households = [{"household_number": h.household_number, "weight": h.weight} for h in plan.households]
    return (product, version, month, plan.revenue_share_rate, list(plan.mechanisms), Jsonb(households))


def record_certification(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    cid = e.originator_id
    if isinstance(e, Certification.Applied):
        cur.execute("INSERT INTO certifications (certification_id, subject, subject_id, county, organisation, status,"
                    " applied_on, last_step_on) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (cid, e.subject, e.subject_id, e.county, e.organisation,
                     "township_review" if e.township_review else "applied", e.applied_on, e.applied_on))
        return
    step: dict[str, Any] = {}
    periods_changed = False
    if isinstance(e, Certification.Reapplied):
        step = {"status": "township_review" if e.township_review else "applied", "applied_on": e.applied_on,
                "last_step_on": e.applied_on, "price_check": None, "open_objections": 0}
    elif isinstance(e, Certification.TownshipReviewed):
        step = {"status": "applied" if e.approved else "refused", "last_step_on": e.reviewed_on}
    elif isinstance(e, Certification.CountyReviewed):
        check = msgspec.to_builtins(e.price_check) if e.price_check is not None else None
        step = {"status": "reviewed" if e.approved else "refused", "last_step_on": e.reviewed_on,
                "price_check": Jsonb(check) if check is not None else None}
    elif isinstance(e, Certification.NoticePublished):
        step = {"status": "in_notice", "last_step_on": e.published_on}
    elif isinstance(e, Certification.ObjectionLodged):
        cur.execute("UPDATE certifications SET open_objections = open_objections + 1 WHERE certification_id = %s",
                    (cid,))
    elif isinstance(e, Certification.ObjectionResolved):
        cur.execute("UPDATE certifications SET open_objections = open_objections - 1,"
                    " status = CASE WHEN %s = 'upheld' THEN 'refused' ELSE status END,"
                    " last_step_on = CASE WHEN %s = 'upheld' THEN %s ELSE last_step_on END"
                    " WHERE certification_id = %s", (e.outcome, e.outcome, e.resolved_on, cid))
    elif isinstance(e, Certification.Certified):
        step = {"status": "certified", "certificate_number": e.certificate_number, "valid_from": e.valid_from,
                "valid_to": e.valid_to, "last_step_on": e.certified_on}
        cur.execute("INSERT INTO cert_periods SELECT %s, coalesce(max(seq), 0) + 1, %s, %s FROM cert_periods"
                    " WHERE certification_id = %s", (cid, e.valid_from, e.valid_to, cid))
        periods_changed = True
    elif isinstance(e, Certification.Renewed):
        cur.execute("SELECT status FROM certifications WHERE certification_id = %s", (cid,))
        if _one(cur)["status"] == "certified":
            _update_last_period(cur, cid, "valid_to = %s", (e.valid_to,))
        step = {"valid_to": e.valid_to, "last_step_on": e.reviewed_on}
        periods_changed = True
    elif isinstance(e, Certification.Suspended | Certification.Revoked):
        day = e.suspended_on if isinstance(e, Certification.Suspended) else e.revoked_on
        # it stops counting from its date: the period's last day is the day before
        _update_last_period(cur, cid, "valid_to = %s", (day - timedelta(days=1),), " AND valid_to >= %s", (day,))
        step = {"status": "suspended" if isinstance(e, Certification.Suspended) else "revoked", "last_step_on": day}
        periods_changed = True
    elif isinstance(e, Certification.Reinstated):
        cur.execute("INSERT INTO cert_periods SELECT %s, coalesce(max(seq), 0) + 1, %s,"
                    " (SELECT valid_to FROM certifications WHERE certification_id = %s) FROM cert_periods"
                    " WHERE certification_id = %s", (cid, e.reinstated_on, cid, cid))
        step = {"status": "certified", "last_step_on": e.reinstated_on}
        periods_changed = True
    if step:
        columns = ", ".join(f"{k} = %s" for k in step)
        cur.execute(f"UPDATE certifications SET {columns} WHERE certification_id = %s",  # noqa: S608 - fixed names
                    (*step.values(), cid))
    if periods_changed or isinstance(e, Certification.CountyReviewed | Certification.Reapplied):
        cur.execute("SELECT subject, subject_id FROM certifications WHERE certification_id = %s", (cid,))
        row = _one(cur)
        if row["subject"] == "product":
            product = UUID(row["subject_id"])
            if periods_changed:
                dirty.recount_products.add(product)
            else:
                dirty.prices.add(product)
        elif periods_changed:
            dirty.recount_sellers.add(row["subject_id"])


def _update_last_period(cur: psycopg.Cursor[DictRow], cid: UUID, assignment: str, values: tuple[Any, ...],
                        extra: str = "", extra_values: tuple[Any, ...] = ()) -> None:
    cur.execute(f"UPDATE cert_periods SET {assignment} WHERE certification_id = %s AND seq = (SELECT max(seq) FROM"
                f" cert_periods WHERE certification_id = %s){extra}", (*values, cid, cid, *extra_values))


def _one(cur: psycopg.Cursor[DictRow]) -> DictRow:
    row = cur.fetchone()
    if row is None:
        raise LookupError("an event arrived before the aggregate's first event")
    return row


def record_seller(cur: psycopg.Cursor[DictRow], e: Any) -> None:
    if isinstance(e, Seller.Opened):
        cur.execute("INSERT INTO sellers (credit_code, county, name, form) VALUES (%s, %s, %s, %s)",
                    (e.credit_code, e.county, e.name, e.form))
        remember(cur, e.originator_id, e.credit_code)
    elif isinstance(e, Seller.LinkageDeclared):
        cur.execute("UPDATE sellers SET mechanisms = %s, linkage_declared_on = %s WHERE credit_code = %s",
                    (e.mechanisms, e.declared_on, key_of(cur, e.originator_id)))


def remember(cur: psycopg.Cursor[DictRow], originator_id: UUID, key: str) -> None:
    cur.execute("INSERT INTO aggregate_keys VALUES (%s, %s)", (originator_id, key))


def key_of(cur: psycopg.Cursor[DictRow], originator_id: UUID) -> str:
    """The key an aggregate's first event gave (its later events do not repeat it)."""
    cur.execute("SELECT key FROM aggregate_keys WHERE originator_id = %s", (originator_id,))
    return str(_one(cur)["key"])


def record_product(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    pid = e.originator_id
    if isinstance(e, Product.Listed):
        cur.execute("INSERT INTO products VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL)",
                    (pid, e.seller, e.county, e.name, e.category, e.specification, e.unit, e.price_fen, e.stock,
                     e.origin_county, e.origin_village, e.yearly_capacity, e.listed_on))
        cur.execute("INSERT INTO product_plans VALUES (%s, %s, %s, %s, %s, %s)",
                    _plan_row(pid, e.originator_version, ALL_MONTHS, e.plan))
        dirty.plans.add(pid)
    elif isinstance(e, Product.PlanChanged):
        cur.execute("INSERT INTO product_plans VALUES (%s, %s, %s, %s, %s, %s)",
                    _plan_row(pid, e.originator_version, e.effective_month, e.plan))
        dirty.plan_from(pid, e.effective_month)
        dirty.plans.add(pid)
    elif isinstance(e, Product.PriceChanged):
        cur.execute("UPDATE products SET price_fen = %s WHERE product_id = %s", (e.price_fen, pid))
        dirty.prices.add(pid)
    elif isinstance(e, Product.StockAdjusted | Product.StockTaken | Product.StockReturned):
        cur.execute("UPDATE products SET stock = %s WHERE product_id = %s", (e.stock, pid))
    elif isinstance(e, Product.Delisted):
        cur.execute("UPDATE products SET delisted_on = %s WHERE product_id = %s", (e.delisted_on, pid))


def record_price_book(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    if isinstance(e, PriceBook.Opened):
        remember(cur, e.originator_id, e.county)
    elif isinstance(e, PriceBook.PriceRecorded):
        county = key_of(cur, e.originator_id)
        p = e.price
        cur.execute("INSERT INTO reference_prices VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (county, e.originator_version, p.category, p.specification, p.unit, p.price_fen,
                     p.effective_from))
        cur.execute("SELECT product_id FROM products WHERE county = %s AND category = %s AND specification = %s"
                    " AND unit = %s", (county, p.category, p.specification, p.unit))
        dirty.prices.update(r["product_id"] for r in cur.fetchall())


def record_buyer(cur: psycopg.Cursor[DictRow], e: Any) -> None:
    if isinstance(e, Buyer.Registered):
        cur.execute("INSERT INTO buyers VALUES (%s, %s, %s, %s, %s)",
                    (e.key, e.name, e.buyer_type, e.county, e.counts_for))
        remember(cur, e.originator_id, e.key)
    elif isinstance(e, Buyer.ShareFiled):
        key = key_of(cur, e.originator_id)
        f = e.filing
        cur.execute("INSERT INTO share_filings VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (buyer_key,"
                    " year) DO UPDATE SET kind = excluded.kind, canteen_budget_fen = excluded.canteen_budget_fen,"
                    " reserved_share_rate = excluded.reserved_share_rate, shared_with = excluded.shared_with,"
                    " reserved_fen = excluded.reserved_fen, minimum_rate = excluded.minimum_rate,"
                    " filed_on = excluded.filed_on",
                    (key, f.year, f.kind, f.canteen_budget_fen, f.reserved_share_rate, f.shared_with, f.reserved_fen,
                     _share(f.minimum_rate), f.filed_on))


def _share(rate: Decimal) -> Decimal:
    """A share (0–1) as a ``numeric`` can hold it: a filing recorded before parameter values were limited to six
    decimal places may carry the minimum of a version like ``1e-999999``, past what PostgreSQL can store."""
    return rate.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def _sale_row(key: str, source: str, order: UUID | None, channel_sale: UUID | None, product: DictRow,
              day: Any, cert_day: Any, quantity: int, amount: int, buyer: str | None, buyer_type: str,
              budget_unit: str | None, tag: str | None, channel: str, sale_day: Any) -> tuple[Any, ...]:
    return (key, source, order, channel_sale, product["product_id"], product["seller"], product["county"],
            product["category"], product["origin_village"], day, month_of(day), cert_day, quantity, amount, buyer,
            buyer_type, budget_unit, tag, channel, False, sale_day)


def _product(cur: psycopg.Cursor[DictRow], product_id: UUID) -> DictRow:
    cur.execute("SELECT * FROM products WHERE product_id = %s", (product_id,))
    return _one(cur)


SALE_COLUMNS = ("sale_key", "source", "order_id", "channel_sale", "product_id", "seller", "county", "category",
                "village", "day", "month", "cert_day", "quantity", "amount_fen", "buyer", "buyer_type", "budget_unit",
                "tag", "channel", "counted", "sale_day")
SALE_INSERT = (f"INSERT INTO sales ({', '.join(SALE_COLUMNS)}) VALUES ("  # noqa: S608 - fixed names
               + ", ".join(["%s"] * len(SALE_COLUMNS)) + ")")


def _sale(cur: psycopg.Cursor[DictRow], row: tuple[Any, ...], dirty: Dirty) -> None:
    cur.execute(SALE_INSERT, row)
    dirty.new_sales.add(row[0])


def record_order(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    oid = e.originator_id
    if isinstance(e, Order.Placed):
        total = sum(line.amount_fen for line in e.lines)
        cur.execute("INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s, %s, 'placed', %s, NULL, %s, 0, %s)",
                    (oid, e.buyer, e.buyer_type, e.counts_for, e.seller, e.county, e.tag, e.placed_on, total,
                     e.timestamp))
        cur.executemany("INSERT INTO order_lines VALUES (%s, %s, %s, %s, %s, 0)",
                        [(oid, ln.line_no, ln.product_id, ln.quantity, ln.amount_fen) for ln in e.lines])
        return
    status = {Order.Paid: "paid", Order.Shipped: "shipped", Order.Received: "received", Order.Completed: "completed",
              Order.Cancelled: "cancelled"}.get(type(e))
    if status is not None:
        cur.execute("UPDATE orders SET status = %s WHERE order_id = %s", (status, oid))
    if isinstance(e, Order.Received):
        cur.execute("UPDATE orders SET received_on = %s WHERE order_id = %s RETURNING *", (e.received_on, oid))
        order = _one(cur)
        cur.execute("SELECT * FROM order_lines WHERE order_id = %s ORDER BY line_no", (oid,))
        for line in cur.fetchall():
            product = _product(cur, line["product_id"])
            _sale(cur, _sale_row(  # certification judged on the day it was placed (captured when placed)
                f"order:{oid}:{line['line_no']}", "order", oid, None, product, e.received_on, order["placed_on"],
                # refunds before receipt: the units they returned are not sold (all refunded: none)
                line["quantity"] - returned_units(line["quantity"], line["amount_fen"], line["refunded_fen"],
                                                  line["refunded_fen"]),
                line["amount_fen"] - line["refunded_fen"], order["buyer"], order["buyer_type"],
                _unit(order), order["tag"], "platform", e.received_on), dirty)
    elif isinstance(e, Order.Refunded):
        cur.execute("UPDATE order_lines SET refunded_fen = refunded_fen + %s WHERE order_id = %s AND line_no = %s"
                    " RETURNING product_id, quantity, amount_fen, refunded_fen", (e.amount_fen, oid, e.line_no))
        line = _one(cur)
        product_id = line["product_id"]
        cur.execute("UPDATE orders SET refunded_fen = refunded_fen + %s WHERE order_id = %s RETURNING *",
                    (e.amount_fen, oid))
        order = _one(cur)
        if order["received_on"] is not None:  # before receipt the line is not a sale yet: it counts net
            _sale(cur, _sale_row(
                f"refund:{oid}:{e.refund_no}", "refund", oid, None, _product(cur, product_id), e.refunded_on,
                order["placed_on"], -returned_units(line["quantity"], line["amount_fen"], line["refunded_fen"],
                                                      e.amount_fen),
                -e.amount_fen, order["buyer"], order["buyer_type"], _unit(order), order["tag"], "platform",
                order["received_on"]), dirty)


def returned_units(quantity: int, amount_fen: int, refunded_fen: int, refund_fen: int) -> int:
    """The units a refund takes back from a line's sold quantity (so capacity counts net units): the line's
    refunded share of its quantity, rounded down, after this refund minus before it. A full refund returns every
    unit; refunds of less than a unit's price return none until they add up to one."""
    if amount_fen <= 0:
        return 0
    return quantity * refunded_fen // amount_fen - quantity * (refunded_fen - refund_fen) // amount_fen


def _unit(order: DictRow) -> str | None:
    """The budget unit a purchase counts for: the buyer itself, or the unit its union or staff member names."""
    if order["buyer_type"] == "budget_unit":
        return str(order["buyer"])
    return order["counts_for"]


def record_channel(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    if isinstance(e, ChannelUpload.Recorded):
        cur.execute("INSERT INTO channel_uploads VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (e.originator_id, e.uploader, e.county, e.idempotency_key, e.media_type, e.rows, e.recorded,
                     e.already_known, e.timestamp))
        if e.price_warnings:  # rows recorded at a unit price outside the band: flagged, named by upload and row
            cur.executemany(
                "INSERT INTO flags VALUES (%s, %s, 'channel_price_outside_band', %s, %s) ON CONFLICT DO NOTHING",
                [(f"channel_price:{e.originator_id}:{w.row}", e.county, str(w.product_id),
                  Jsonb({**msgspec.to_builtins(w), "upload_id": str(e.originator_id), "uploader": e.uploader}))
                 for w in e.price_warnings])
    elif isinstance(e, ChannelSale.Recorded):
        s = e.sale
        _sale(cur, _sale_row(
            f"channel:{e.originator_id}", "channel", None, e.originator_id, _product(cur, s.product_id), s.sold_on,
            s.sold_on, s.quantity, s.amount_fen, None, s.buyer_type,
            s.budget_unit if s.buyer_type in CREDITS_A_UNIT else None,  # recorded before the upload refused it
            s.tag, s.channel, s.sold_on), dirty)


def record_payment(cur: psycopg.Cursor[DictRow], e: Any) -> None:
    if isinstance(e, LinkageLedger.Opened):
        remember(cur, e.originator_id, f"{e.seller}:{e.county}")
        return
    if not isinstance(e, LinkageLedger.PaymentRecorded):
        return
    seller, county = key_of(cur, e.originator_id).split(":")
    p = e.payment
    payee_county = county
    if p.payee == COLLECTIVE:
        payee_county = ""
    elif p.payee_county is not None:
        payee_county = p.payee_county
    elif p.product_id is not None:  # recorded before the field: a payout's payee is of the product's origin county
        payee_county = str(_product(cur, p.product_id)["origin_county"])
    cur.execute("INSERT INTO linkage_payments VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (seller, p.reference, county, p.kind, p.payee, payee_county, p.amount_fen, p.paid_on, p.produce,
                 p.quantity, p.product_id, e.timestamp))


def record_household(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    if isinstance(e, Household.Registered):
        cur.execute("INSERT INTO households VALUES (%s, %s, %s, %s, %s, %s)",
                    (e.originator_id, e.county, e.household_number, e.village_code, e.category, e.effective_date))
        key = (e.county, e.household_number)
    elif isinstance(e, Household.CategoryChanged):
        cur.execute("UPDATE households SET category = %s, since = %s WHERE household_id = %s"
                    " RETURNING county, household_number", (e.category, e.effective_date, e.originator_id))
        row = _one(cur)
        key = (row["county"], row["household_number"])
    else:
        return
    cur.execute("INSERT INTO household_categories VALUES (%s, %s, %s, %s, %s)",
                (*key, e.originator_version, e.category, e.effective_date))
    dirty.households.add(key)


def record_policy(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    if isinstance(e, PolicyBook.Opened):
        cur.execute("INSERT INTO policy_books VALUES (%s, %s)", (e.originator_id, e.scope))
    elif isinstance(e, PolicyBook.ParameterRecorded):
        cur.execute("SELECT scope FROM policy_books WHERE book_id = %s", (e.originator_id,))
        scope = str(_one(cur)["scope"])
        cur.execute("INSERT INTO parameters VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (scope, e.originator_version, e.name, e.value, e.effective_from, e.effective_to, e.source,
                     e.era))
        if e.name in SHAPING:  # an employment parameter changes nothing here
            dirty.scopes.setdefault(e.name, set()).add(scope)
