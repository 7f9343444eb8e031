"""The certification workflow (认定) that sellers and products share, one aggregate per subject.

applied → township review (when the county's ``certification.township_review`` is 1) → county review → public
notice (公示) for ``certification.notice_days`` → certified (certificate number, valid from/to) → suspended ⇄
reinstated, or revoked. A review may refuse (the subject may apply again); an objection (异议) lodged during the
notice is resolved upheld (the application is refused) or dismissed, each with a reason; the certificate is issued
only once the notice has run and no objection is open. Every stated date is a business date (Asia/Shanghai), never
after today and never before the step it follows: a notice cannot be backdated before the review that allowed it.

Sources: 商南县 扶贫产品认定程序（主体申请 → 镇办初审 → 县级审定 → 公示）; 《安徽省扶贫产品认定和管理工作指南》（2020，
乡镇审核意见）; 荆州市 2020（有效期、年度复核）.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.errors import Conflict, NotFound, invalid
from xiaofei.domain.notice import after_notice, not_future, objection_text

SUBJECTS = ("seller", "product")
OUTCOMES = ("upheld", "dismissed")


class PriceCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What the county saw of a product's price at its review (价格核查)."""

    price_fen: int
    reference_price_fen: int | None
    band: str
    """``price_band_pct`` in force, as a decimal string."""
    deviation: str | None
    """(price − reference) ÷ reference, 4 decimals; None without a reference price."""
    outside_band: bool
    acknowledged: bool
    note: str


@dataclass
class Objection:
    number: int
    text: str
    lodged_on: date
    outcome: str | None = None
    reason: str | None = None
    resolved_on: date | None = None


def not_before(field: str, day: date, earlier: date | None, what: str) -> None:
    if earlier is not None and day < earlier:
        raise invalid(field, f"cannot be before {what} on {earlier.isoformat()}")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter (2024-01-31 + 1 → 2024-02-29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def validity_end(first_day: date, months: int) -> date:
    """The last day of a validity of ``months`` months that counts ``first_day`` itself: the day before the same day
    ``months`` later (issued 2025-10-29 for 12 months: valid through 2026-10-28, not a day more)."""
    return add_months(first_day, months) - timedelta(days=1)


class Certification(Aggregate):
    """The certification of one seller (by credit code) or one product (by id) in one county."""

    @staticmethod
    def create_id(subject: str, subject_id: str) -> UUID:
        return ids.certification_id(subject, subject_id)

    class Applied(Aggregate.Created):
        subject: str
        subject_id: str
        county: str
        organisation: str
        applied_on: date
        township_review: bool
        actor: str

    @event(Applied)
    def __init__(self, subject: str, subject_id: str, county: str, organisation: str, applied_on: date,
                 township_review: bool, actor: str) -> None:
        self.subject = subject
        self.subject_id = subject_id
        self.county = county
        self.organisation = organisation
        self._start(applied_on, township_review)
        self.certificate_number: str | None = None
        self.valid_from: date | None = None
        self.valid_to: date | None = None
        self.periods: list[dict[str, Any]] = []
        """Certified spans: ``{"from", "to", "certificate"}``; ``to`` is the last day it counts (inclusive)."""

    def _start(self, applied_on: date, township_review: bool) -> None:
        self.status = "applied" if not township_review else "township_review"
        self.applied_on = applied_on
        self.township_review = township_review
        self.last_step_on = applied_on
        self.objections: dict[int, Objection] = {}
        self.notice_ends: date | None = None
        self.published_on: date | None = None
        self.price_check: PriceCheck | None = None

    def expect(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise Conflict(f"the {self.subject} certification is {self.status}; this needs it {' or '.join(statuses)}")

    def _dated(self, field: str, day: date, today: date, what: str) -> None:
        not_future(field, day, today)
        not_before(field, day, self.last_step_on, what)

    # -- application and reviews -------------------------------------------------------------------

    class Reapplied(Aggregate.Event):
        applied_on: date
        township_review: bool
        actor: str

    def reapply(self, applied_on: date, today: date, township_review: bool, actor: str) -> None:
        if self.state_on(today) not in ("refused", "revoked", "expired"):
            raise Conflict(f"the {self.subject} certification is {self.state_on(today)}; a new application needs "
                           "it refused, revoked or expired")
        self._dated("applied_on", applied_on, today, "the last decision")
        self._reapplied(applied_on=applied_on, township_review=township_review, actor=actor)

    @event(Reapplied)
    def _reapplied(self, applied_on: date, township_review: bool, actor: str) -> None:
        self._start(applied_on, township_review)

    class TownshipReviewed(Aggregate.Event):
        reviewed_on: date
        approved: bool
        opinion: str
        actor: str

    def township_review_(self, reviewed_on: date, today: date, approved: bool, opinion: str, actor: str) -> None:
        self.expect("township_review")
        self._dated("reviewed_on", reviewed_on, today, "the application")
        if not opinion.strip():
            raise invalid("opinion", "the township's review opinion (乡镇审核意见) is required")
        self._township_reviewed(reviewed_on=reviewed_on, approved=approved, opinion=opinion.strip(), actor=actor)

    @event(TownshipReviewed)
    def _township_reviewed(self, reviewed_on: date, approved: bool, opinion: str, actor: str) -> None:
        self.status = "applied" if approved else "refused"
        self.last_step_on = reviewed_on

    class CountyReviewed(Aggregate.Event):
        reviewed_on: date
        approved: bool
        opinion: str
        price_check: PriceCheck | None
        actor: str

    def county_review(self, reviewed_on: date, today: date, approved: bool, opinion: str,
                      price_check: PriceCheck | None, actor: str) -> None:
        self.expect("applied")
        self._dated("reviewed_on", reviewed_on, today, "the application or township review")
        if approved and price_check is not None and price_check.outside_band and not price_check.acknowledged:
            raise invalid("price_acknowledged",
                          f"the price {price_check.price_fen} fen is outside the band of ±{price_check.band} around "
                          f"the reference price {price_check.reference_price_fen} fen: acknowledge it to approve")
        self._county_reviewed(reviewed_on=reviewed_on, approved=approved, opinion=opinion.strip(),
                              price_check=price_check, actor=actor)

    @event(CountyReviewed)
    def _county_reviewed(self, reviewed_on: date, approved: bool, opinion: str, price_check: PriceCheck | None,
                         actor: str) -> None:
        self.status = "reviewed" if approved else "refused"
        self.last_step_on = reviewed_on
        self.price_check = price_check

    # -- public notice and objections ----------------------------------------------------------------

    class NoticePublished(Aggregate.Event):
        published_on: date
        notice_days: int
        ends_on: date
        actor: str

    def publish_notice(self, published_on: date, today: date, notice_days: int, actor: str) -> None:
        self.expect("reviewed")
        self._dated("published_on", published_on, today, "the county review")
        self._notice_published(published_on=published_on, notice_days=notice_days,
                               ends_on=published_on + timedelta(days=notice_days), actor=actor)

    @event(NoticePublished)
    def _notice_published(self, published_on: date, notice_days: int, ends_on: date, actor: str) -> None:
        self.status = "in_notice"
        self.published_on = published_on
        self.notice_ends = ends_on
        self.last_step_on = published_on

    class ObjectionLodged(Aggregate.Event):
        number: int
        text: str
        lodged_on: date
        actor: str

    def lodge_objection(self, text: str, lodged_on: date, today: date, actor: str) -> int:
        self.expect("in_notice")
        assert self.published_on is not None and self.notice_ends is not None
        text = objection_text(text, lodged_on, today, self.published_on, self.notice_ends)
        number = len(self.objections) + 1
        self._objection_lodged(number=number, text=text, lodged_on=lodged_on, actor=actor)
        return number

    @event(ObjectionLodged)
    def _objection_lodged(self, number: int, text: str, lodged_on: date, actor: str) -> None:
        self.objections[number] = Objection(number, text, lodged_on)

    class ObjectionResolved(Aggregate.Event):
        number: int
        outcome: str
        reason: str
        resolved_on: date
        actor: str

    def resolve_objection(self, number: int, outcome: str, reason: str, resolved_on: date, today: date,
                          actor: str) -> None:
        objection = self.objections.get(number)
        if objection is None:
            raise NotFound(f"no objection {number} on this certification")
        if objection.outcome is not None:
            raise Conflict(f"objection {number} is already resolved ({objection.outcome})")
        self.expect("in_notice")
        if outcome not in OUTCOMES:
            raise invalid("outcome", f"must be one of {', '.join(OUTCOMES)}")
        if not reason.strip():
            raise invalid("reason", "is required")
        not_future("resolved_on", resolved_on, today)
        not_before("resolved_on", resolved_on, objection.lodged_on, f"objection {number} was lodged")
        self._objection_resolved(number=number, outcome=outcome, reason=reason.strip(), resolved_on=resolved_on,
                                 actor=actor)

    @event(ObjectionResolved)
    def _objection_resolved(self, number: int, outcome: str, reason: str, resolved_on: date, actor: str) -> None:
        objection = self.objections[number]
        objection.outcome, objection.reason, objection.resolved_on = outcome, reason, resolved_on
        if outcome == "upheld":
            self.status = "refused"  # an upheld objection stands against the application: it may apply again
            self.last_step_on = resolved_on

    def open_objections(self) -> list[Objection]:
        return [o for _, o in sorted(self.objections.items()) if o.outcome is None]

    # -- the certificate ------------------------------------------------------------------------------

    class Certified(Aggregate.Event):
        certificate_number: str
        certified_on: date
        valid_from: date
        valid_to: date
        actor: str

    def certify(self, certificate_number: str, certified_on: date, today: date, valid_to: date, actor: str) -> None:
        self.expect("in_notice")
        assert self.notice_ends is not None and self.published_on is not None
        not_future("certified_on", certified_on, today)
        unresolved = self.open_objections()
        if unresolved:
            raise Conflict("resolve every objection before certification: open "
                           + ", ".join(f"#{o.number} lodged on {o.lodged_on.isoformat()}" for o in unresolved))
        after_notice("certified_on", certified_on, self.published_on, self.notice_ends)
        if not certificate_number.strip():
            raise invalid("certificate_number", "is required")
        if valid_to <= certified_on:
            raise invalid("valid_to", "must be after the certification date")
        self._certified(certificate_number=certificate_number.strip(), certified_on=certified_on,
                        valid_from=certified_on, valid_to=valid_to, actor=actor)

    @event(Certified)
    def _certified(self, certificate_number: str, certified_on: date, valid_from: date, valid_to: date,
                   actor: str) -> None:
        self.status = "certified"
        self.certificate_number = certificate_number
        self.valid_from, self.valid_to = valid_from, valid_to
        self.last_step_on = certified_on
        self.periods.append({"from": valid_from, "to": valid_to, "certificate": certificate_number})

    class Renewed(Aggregate.Event):
        """The annual review (年度复核) passed: validity runs on to ``valid_to``."""

        reviewed_on: date
        valid_to: date
        opinion: str
        actor: str

    def renew(self, reviewed_on: date, today: date, valid_to: date, opinion: str, actor: str) -> None:
        self.expect("certified", "suspended")
        assert self.valid_to is not None
        self._dated("reviewed_on", reviewed_on, today, "the last step")
        if reviewed_on > self.valid_to:
            raise Conflict(f"the certificate expired on {self.valid_to.isoformat()}: apply again")
        if valid_to <= self.valid_to:
            raise invalid("valid_to", f"must extend the current validity ({self.valid_to.isoformat()})")
        self._renewed(reviewed_on=reviewed_on, valid_to=valid_to, opinion=opinion.strip(), actor=actor)

    @event(Renewed)
    def _renewed(self, reviewed_on: date, valid_to: date, opinion: str, actor: str) -> None:
        self.valid_to = valid_to
        self.last_step_on = reviewed_on
        if self.status == "certified":
            self.periods[-1]["to"] = valid_to

    class Suspended(Aggregate.Event):
        suspended_on: date
        reason: str
        actor: str

    def suspend(self, suspended_on: date, today: date, reason: str, actor: str) -> None:
        self.expect("certified")
        self._stop("suspended_on", suspended_on, today, reason)
        self._suspended(suspended_on=suspended_on, reason=reason.strip(), actor=actor)

    def _stop(self, field: str, day: date, today: date, reason: str) -> None:
        self._dated(field, day, today, "the last step")
        if not reason.strip():
            raise invalid("reason", "is required")

    def _close_period(self, day: date) -> None:
        """It stops counting **from** ``day``: the period's last day is the day before."""
        if self.periods and self.periods[-1]["to"] >= day:
            self.periods[-1]["to"] = day - timedelta(days=1)

    @event(Suspended)
    def _suspended(self, suspended_on: date, reason: str, actor: str) -> None:
        self.status = "suspended"
        self.last_step_on = suspended_on
        self._close_period(suspended_on)

    class Reinstated(Aggregate.Event):
        reinstated_on: date
        reason: str
        actor: str

    def reinstate(self, reinstated_on: date, today: date, reason: str, actor: str) -> None:
        self.expect("suspended")
        assert self.valid_to is not None and self.certificate_number is not None
        self._stop("reinstated_on", reinstated_on, today, reason)
        if reinstated_on > self.valid_to:
            raise Conflict(f"the certificate expired on {self.valid_to.isoformat()}: apply again")
        self._reinstated(reinstated_on=reinstated_on, reason=reason.strip(), actor=actor)

    @event(Reinstated)
    def _reinstated(self, reinstated_on: date, reason: str, actor: str) -> None:
        self.status = "certified"
        self.last_step_on = reinstated_on
        assert self.valid_to is not None and self.certificate_number is not None
        self.periods.append({"from": reinstated_on, "to": self.valid_to, "certificate": self.certificate_number})

    class Revoked(Aggregate.Event):
        revoked_on: date
        reason: str
        actor: str

    def revoke(self, revoked_on: date, today: date, reason: str, actor: str) -> None:
        self.expect("certified", "suspended")
        self._stop("revoked_on", revoked_on, today, reason)
        self._revoked(revoked_on=revoked_on, reason=reason.strip(), actor=actor)

    @event(Revoked)
    def _revoked(self, revoked_on: date, reason: str, actor: str) -> None:
        self.status = "revoked"
        self.last_step_on = revoked_on
        self._close_period(revoked_on)

    # -- reading -------------------------------------------------------------------------------------

    def valid_on(self, day: date) -> bool:
        """Certified and within validity on ``day`` (not suspended, revoked or expired then)."""
        return any(p["from"] <= day <= p["to"] for p in self.periods)

    def state_on(self, today: date) -> str:
        if self.status == "certified" and self.valid_to is not None and today > self.valid_to:
            return "expired"
        return self.status


class CertificateNumber(Aggregate):
    """A certificate number taken in a county (``ids.certificate_id``): recorded in the same transaction as the
    certificate, so no two subjects of a county carry one number, and a channel sale's certificate number leads
    straight to its certification."""

    @staticmethod
    def create_id(county: str, certificate_number: str) -> UUID:
        return ids.certificate_id(county, certificate_number)

    class Taken(Aggregate.Created):
        county: str
        certificate_number: str
        certification_id: UUID
        subject: str
        subject_id: str
        organisation: str

    @event(Taken)
    def __init__(self, county: str, certificate_number: str, certification_id: UUID, subject: str, subject_id: str,
                 organisation: str) -> None:
        self.county = county
        self.certificate_number = certificate_number
        self.certification_id = certification_id
        self.subject = subject
        self.subject_id = subject_id
        self.organisation = organisation
