"""Bodies of the certification commands and reads (sellers; products use the same certification steps)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from xiaofei.http.schemas import Note, Text

Day = Annotated[date | None, msgspec.Meta(description="A business date (Asia/Shanghai), not in the future and not "
                                                      "before the step it follows. Omitted: today.",
                                          examples=["2026-12-01"])]
Mechanism = Literal["procurement", "revenue_share", "land_rent", "dividend", "wages"]


class LinkageDeclare(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mechanisms: Annotated[list[Mechanism], msgspec.Meta(min_length=1, max_length=5, examples=[["procurement"]])]
    """How households benefit: 订单收购 procurement, 产品收益分红 revenue_share, 土地流转租金 land_rent, 入股分红 dividend,
    务工 wages."""
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
                                             examples=["收购社员茶青，按销售额10%分红"])]
    declared_on: Day = None


class Application(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    applied_on: Day = None


class Review(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    approved: bool
    opinion: Note = ""
    """The reviewer's opinion (审核意见); required for a township review."""
    reviewed_on: Day = None


class Notice(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    published_on: Day = None


class Objection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: Text
    lodged_on: Day = None


class ObjectionResolution(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    outcome: Literal["upheld", "dismissed"]
    """upheld: the application is refused (the subject may apply again); dismissed: the notice goes on."""
    reason: Text
    resolved_on: Day = None


class Certificate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    certificate_number: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$",
                                                    examples=["上犹扶贫主体-2026-003"])]
    certified_on: Day = None


class AnnualReview(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    opinion: Note = ""
    reviewed_on: Day = None


class Stop(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A suspension, reinstatement or revocation: it takes effect from ``on``."""

    reason: Text
    on: Day = None


class ApplicationAccepted(msgspec.Struct, kw_only=True):
    certification_id: UUID
    position: int


class ObjectionNumber(msgspec.Struct, kw_only=True):
    number: int
    position: int


class ObjectionView(msgspec.Struct, kw_only=True):
    number: int
    text: str
    lodged_on: date
    outcome: str | None
    reason: str | None
    resolved_on: date | None


class PeriodView(msgspec.Struct, kw_only=True):
    valid_from: date
    valid_to: date
    """The last day it counts (a suspension or revocation ends it the day before its date)."""
    certificate_number: str


class CertificationView(msgspec.Struct, kw_only=True):
    certification_id: UUID
    subject: str
    subject_id: str
    county: str
    organisation: str
    status: str
    """applied, township_review, reviewed, in_notice, refused, certified, suspended, revoked, or expired."""
    applied_on: date
    township_review: bool
    notice_published_on: date | None
    notice_ends_on: date | None
    certificate_number: str | None
    valid_from: date | None
    valid_to: date | None
    periods: list[PeriodView]
    objections: list[ObjectionView]


class LinkageView(msgspec.Struct, kw_only=True):
    mechanisms: list[str]
    description: str
    declared_on: date


class SellerView(msgspec.Struct, kw_only=True):
    credit_code: str
    name: str
    form: str
    county: str
    linkage: LinkageView | None
    certification: CertificationView | None
