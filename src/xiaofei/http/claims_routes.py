"""Claim endpoints (申报): employers file; county officials review, publish the notice (公示), record and resolve
objections, approve, pay, reinstate rejected lines, see pending adjustments and settle them; auditors read.

Every date a body may state is a business date in Asia/Shanghai; omitted, it is today there."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from xiaofei.application.claims import PendingAdjustments
from xiaofei.http.employment_routes import _viewer
from xiaofei.http.auth import roles
from xiaofei.http.errors import PROBLEM
from xiaofei.http.openapi import WHY
from xiaofei.http.routes import (
    EMPLOYER,
    OFFICIAL,
    READERS,
    After,
    AnyRequest,
    Limit,
    MinPosition,
    _command,
    _fresh,
    _services,
    found,
)
from xiaofei.http.schemas import (
    AdjustmentClaimCreate,
    ClaimApprove,
    ClaimCreate,
    ClaimFiled,
    ClaimPay,
    CommandAccepted,
    NoticePublish,
    ObjectionLodge,
    ObjectionLodged,
    ObjectionResolve,
    PendingAdjustmentsPage,
    PendingAdjustmentsView,
    PendingLineView,
    Problem,
    Reason,
    RecoverySettle,
)
from xiaofei.queries.disclosure import disclose_claim_lines
from xiaofei.queries import claims as cq

ClaimStatus = Literal["filed", "in_review", "reviewed", "in_notice", "approved", "paid"]
ClaimLimit = Annotated[int, QueryParameter(ge=1, le=100, description="Claims per page (at most 100)")]


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """Statuses beyond those every operation of its kind answers (``http.openapi`` documents those)."""
    return {s: ResponseSpec(data_container=Problem, description=WHY[s], media_type=PROBLEM, generate_examples=False)
            for s in statuses}


async def _claim_detail(request: AnyRequest, pool: Any, detail: cq.ClaimDetail | None,
                        claim_id: UUID) -> cq.ClaimDetail:
    detail = found(detail, f"no claim {claim_id} here")
    [detail.claim] = await disclose_claim_lines(pool, [detail.claim], _viewer(request))
    return detail


def _pending_view(p: PendingAdjustments) -> PendingAdjustmentsView:
    net: dict[str, int] = {}
    for line in p.lines:
        net[line.payee] = net.get(line.payee, 0) + line.amount_fen
    return PendingAdjustmentsView(
        organisation=p.organisation, total_fen=sum(ln.amount_fen for ln in p.lines), net_by_payee=dict(sorted(net.items())),
        lines=[PendingLineView(slip_id=ln.slip_id, subsidy=ln.subsidy, payee=ln.payee, workshop_id=ln.workshop_id,
                               month=ln.month, slip_version=ln.slip_version, entitled_fen=ln.entitled_fen,
                               previously_claimed_fen=ln.previously_claimed_fen, amount_fen=ln.amount_fen,
                               kind=ln.kind, adjusts_claim=ln.adjusts_claim, explanation=ln.explanation)
               for ln in p.lines])


def _filed(claim: Any, position: int) -> ClaimFiled:
    return ClaimFiled(claim_id=claim.id, lines=len(claim.lines),
                      total_fen=sum(ln.amount_fen for ln in claim.lines.values()), position=position)


class ClaimController(Controller):
    tags = ["claims"]

    @post("/organisations/{org:str}/claims", operation_id="fileClaim", opt=roles(*EMPLOYER),
          summary="Claim a period (a month up to the county's claim cycle): every entitled amount not yet claimed, plus "
                  "pending adjustments",
          description="Amounts come from the entitlements read model once it has caught up. Each (subject, "
                      "subsidy) is claimed once; later changes come as arrears or clawback lines linked to the claim "
                      "they adjust; an entitlement that no longer exists is clawed back whole. Lines rejected in "
                      "review stay out until their facts change or an official reinstates them. 422 when there is "
                      "nothing to claim, or when the period is longer than `claim.max_period_months` (3 by default: "
                      "a month or a quarter) in force for the organisation's county on its first day.")
    async def file(self, request: AnyRequest, org: FromPath[str], data: JSONBody[ClaimCreate]) -> ClaimFiled:
        services = _services(request)

        def run() -> ClaimFiled:
            county = services.employment.organisation(org).county
            return _filed(*services.claims.file(org, county, data.period_from, data.period_to, request.user.actor))

        return await _command(run)

    @get("/organisations/{org:str}/claims", operation_id="organisationClaims", opt=roles(*EMPLOYER, *READERS),
         summary="The organisation's claims with their lines, objections, explanations and payments, paged",
         description="In filing order; `status` filters (filed, in_review, reviewed, in_notice, approved, paid).")
    async def organisation_claims(self, request: AnyRequest, org: FromPath[str],
                                  status: FromQuery[ClaimStatus | None] = None, after: After = None,
                                  limit: ClaimLimit = 20, min_position: MinPosition = None) -> cq.ClaimPage:
        pool = await _fresh(request, min_position, "employment")
        page = await cq.claims(pool, organisation=org, status=status, after=after, limit=limit)
        page.items = await disclose_claim_lines(pool, page.items, _viewer(request))
        return page

    @get("/organisations/{org:str}/claims/{claim_id:uuid}", operation_id="getOrganisationClaim",
         opt=roles(*EMPLOYER, *READERS),
         summary="One claim: its lines, payees (name, masked ID and account), totals per subsidy and per payee")
    async def organisation_claim(self, request: AnyRequest, org: FromPath[str], claim_id: FromPath[UUID],
                                 min_position: MinPosition = None) -> cq.ClaimDetail:
        pool = await _fresh(request, min_position, "employment")
        return await _claim_detail(request, pool, await cq.claim_detail(pool, claim_id, organisation=org), claim_id)

    @get("/counties/{county:str}/claims", operation_id="countyClaims", opt=roles(*READERS),
         summary="Claims filed in the county, with their lines, objections and payments, paged",
         description="In filing order; `status` filters (filed, in_review, reviewed, in_notice, approved, paid), `organisation` by "
                     "credit code.")
    async def county_claims(self, request: AnyRequest, county: FromPath[str],
                            status: FromQuery[ClaimStatus | None] = None, organisation: FromQuery[str | None] = None,
                            after: After = None, limit: ClaimLimit = 20,
                            min_position: MinPosition = None) -> cq.ClaimPage:
        pool = await _fresh(request, min_position, "employment")
        page = await cq.claims(pool, county=county, organisation=organisation, status=status, after=after,
                               limit=limit)
        page.items = await disclose_claim_lines(pool, page.items, _viewer(request))
        return page

    @get("/counties/{county:str}/claims/{claim_id:uuid}", operation_id="getCountyClaim", opt=roles(*READERS),
         summary="One claim: its lines, payees (name, masked ID and account), totals per subsidy and per payee")
    async def county_claim(self, request: AnyRequest, county: FromPath[str], claim_id: FromPath[UUID],
                           min_position: MinPosition = None) -> cq.ClaimDetail:
        pool = await _fresh(request, min_position, "employment")
        return await _claim_detail(request, pool, await cq.claim_detail(pool, claim_id, county=county), claim_id)

    @post("/counties/{county:str}/claims/{claim_id:uuid}/review", operation_id="startClaimReview",
          opt=roles(*OFFICIAL), summary="Start the county's review (审核) of a filed claim",
          description="From now its lines may be rejected, each with a reason; 409 unless the claim is filed.")
    async def start_review(self, request: AnyRequest, county: FromPath[str], claim_id: FromPath[UUID]
                           ) -> CommandAccepted:
        claims = _services(request).claims
        return CommandAccepted(position=await _command(lambda: claims.start_review(county, claim_id,
                                                                                   request.user.actor)))

    @post("/counties/{county:str}/claims/{claim_id:uuid}/review/completion", operation_id="finishClaimReview",
          opt=roles(*OFFICIAL), summary="Finish the review: the lines not rejected go to the public notice",
          description="409 unless the review was started. The notice can be published only after this.")
    async def finish_review(self, request: AnyRequest, county: FromPath[str], claim_id: FromPath[UUID]
                            ) -> CommandAccepted:
        claims = _services(request).claims
        return CommandAccepted(position=await _command(lambda: claims.finish_review(county, claim_id,
                                                                                    request.user.actor)))

    @post("/counties/{county:str}/claims/{claim_id:uuid}/lines/{line_no:int}/rejection", operation_id="rejectClaimLine",
          opt=roles(*OFFICIAL),
          summary="Reject one line in review or during the notice, with a reason",
          description="The line is held back from later claims while its facts (slip version, entitled amount, "
                      "verification) stay those it was rejected on. 409 once the claim is approved.")
    async def reject_line(self, request: AnyRequest, county: FromPath[str], claim_id: FromPath[UUID],
                          line_no: FromPath[int], data: JSONBody[Reason]) -> CommandAccepted:
        claims = _services(request).claims
        return CommandAccepted(position=await _command(lambda: claims.reject_line(
            county, claim_id, line_no, data.reason, request.user.actor)))

    @post("/counties/{county:str}/claims/{claim_id:uuid}/lines/{line_no:int}/reinstatement",
          operation_id="reinstateClaimLine", opt=roles(*OFFICIAL),
          summary="Let a rejected line be claimed again (its rejection in this claim stands), with a reason",
          description="409 when the line was not rejected, is reinstated already, or came back on its own because "
                      "its facts changed.")
    async def reinstate_line(self, request: AnyRequest, county: FromPath[str], claim_id: FromPath[UUID],
                             line_no: FromPath[int], data: JSONBody[Reason]) -> CommandAccepted:
        claims = _services(request).claims
        return CommandAccepted(position=await _command(lambda: claims.reinstate_line(
            county, claim_id, line_no, data.reason, request.user.actor)))

    @post("/counties/{county:str}/claims/{claim_id:uuid}/notice", operation_id="publishClaimNotice",
          opt=roles(*OFFICIAL),
          summary="Start the public notice (公示) of 'claim.notice_days' from its real publication date",
          description="published_on: omitted means today (Asia/Shanghai); a stated date may not be before the "
                      "claim was filed nor in the future (422). The notice length is 'claim.notice_days' in force on "
                      "that date, counted from the next day (民法典 §201): published on D for 7 days, it takes "
                      "objections through D+7.")
    async def notice(self, request: AnyRequest, county: FromPath[str], claim_id: FromPath[UUID],
                     data: JSONBody[NoticePublish]) -> CommandAccepted:
        claims = _services(request).claims
        return CommandAccepted(position=await _command(lambda: claims.publish_notice(
            county, claim_id, data.published_on, request.user.actor)))

    @post("/counties/{county:str}/claims/{claim_id:uuid}/objections", operation_id="lodgeClaimObjection",
          opt=roles(*OFFICIAL),
          summary="Record an objection (异议) received during the notice",
          description="Only while the claim is in notice (409 otherwise), dated within the notice (422). An "
                      "objection must be resolved before the claim can be approved.")
    async def lodge_objection(self, request: AnyRequest, county: FromPath[str], claim_id: FromPath[UUID],
                              data: JSONBody[ObjectionLodge]) -> ObjectionLodged:
        claims = _services(request).claims
        number, position = await _command(lambda: claims.lodge_objection(
            county, claim_id, data.text, data.lodged_on, request.user.actor))
        return ObjectionLodged(number=number, position=position)

    @post("/counties/{county:str}/claims/{claim_id:uuid}/objections/{number:int}/resolution",
          operation_id="resolveClaimObjection", opt=roles(*OFFICIAL),
          summary="Resolve an objection, saying what was found and decided (dated today, Asia/Shanghai)",
          description="An upheld objection usually goes with rejecting the lines concerned. 409 when it is "
                      "resolved already.")
    async def resolve_objection(self, request: AnyRequest, county: FromPath[str], claim_id: FromPath[UUID],
                                number: FromPath[int], data: JSONBody[ObjectionResolve]) -> CommandAccepted:
        claims = _services(request).claims
        return CommandAccepted(position=await _command(lambda: claims.resolve_objection(
            county, claim_id, number, data.resolution, request.user.actor)))

    @post("/counties/{county:str}/claims/{claim_id:uuid}/approval", operation_id="approveClaim",
          opt=roles(*OFFICIAL),
          summary="Approve a claim once its notice has run and every objection is resolved",
          description="approved_on: omitted means today (Asia/Shanghai); never in the future, never on or before "
                      "the notice's last day (422: published on D for 7 days, approval from D+8). Open objections: "
                      "409.")
    async def approve(self, request: AnyRequest, county: FromPath[str], claim_id: FromPath[UUID],
                      data: JSONBody[ClaimApprove]) -> CommandAccepted:
        claims = _services(request).claims
        return CommandAccepted(position=await _command(lambda: claims.approve(
            county, claim_id, data.approved_on, request.user.actor)))

    @post("/counties/{county:str}/claims/{claim_id:uuid}/payment", operation_id="payClaim", opt=roles(*OFFICIAL),
          
          summary="Record payment: a reference per payee (workers to their accounts, the employer to its own)",
          description="paid_on: omitted means today (Asia/Shanghai); on or after the approval, not in the future. "
                      "A payee whose net is negative owes it back: a recovery is opened.")
    async def pay(self, request: AnyRequest, county: FromPath[str], claim_id: FromPath[UUID],
                  data: JSONBody[ClaimPay]) -> CommandAccepted:
        claims = _services(request).claims
        return CommandAccepted(position=await _command(lambda: claims.pay(
            county, claim_id, data.paid_on, dict(data.references), request.user.actor)))

    @get("/counties/{county:str}/pending-adjustments", operation_id="pendingAdjustments", opt=roles(*READERS),
         responses=problem_responses(409),
         summary="Per organisation: the arrears and clawbacks its next claim would carry, as of now",
         description="Computed like a claim (same rule), from the entitlements now against what each organisation "
                     "has claimed. Pages scan organisations with claims in credit-code order; those with nothing "
                     "pending are left out of 'items'.")
    async def pending_adjustments(
        self, request: AnyRequest, county: FromPath[str], organisation: FromQuery[str | None] = None,
        after: FromQuery[str | None] = None, limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        min_position: MinPosition = None,
    ) -> PendingAdjustmentsPage:
        pool = await _fresh(request, min_position, "employment")
        if organisation is not None:
            organisations, next_after = [organisation], None
        else:
            organisations = await cq.organisations_with_claims(pool, county, after, limit)
            next_after = organisations[-1] if len(organisations) == limit else None
        claims = _services(request).claims
        found = await _command(lambda: claims.pending_adjustments(county, organisations))
        # officials of the workshop's county read a worker of another county's registry as an outcome only
        items = await disclose_claim_lines(pool, [_pending_view(p) for p in found], _viewer(request))
        return PendingAdjustmentsPage(items=items, next_after=next_after)

    @post("/counties/{county:str}/adjustment-claims", operation_id="fileAdjustmentClaim", opt=roles(*OFFICIAL),
          
          summary="Settle an organisation's pending adjustments without waiting for the employer",
          description="Files, on the county's initiative, a claim of the organisation's pending adjustments only, "
                      "for the current month (Asia/Shanghai). It follows the usual notice, approval and payment; a "
                      "payee with a negative net then owes it back (a recovery). 422 when nothing is pending.")
    async def file_adjustments(self, request: AnyRequest, county: FromPath[str],
                               data: JSONBody[AdjustmentClaimCreate]) -> ClaimFiled:
        claims = _services(request).claims
        return _filed(*await _command(lambda: claims.file_adjustments(county, data.organisation, request.user.actor)))

    @get("/counties/{county:str}/recoveries", operation_id="countyRecoveries", opt=roles(*READERS),
         summary="Amounts owed back after clawbacks, and what is settled")
    async def recoveries(self, request: AnyRequest, county: FromPath[str], after: After = None,
                         limit: Limit = 500, min_position: MinPosition = None) -> cq.RecoveryPage:
        pool = await _fresh(request, min_position, "employment")
        return await cq.recoveries(pool, county, after, limit)

    @post("/counties/{county:str}/recoveries/settlement", operation_id="settleRecovery", opt=roles(*OFFICIAL),
           summary="Record money recovered from a payee")
    async def settle(self, request: AnyRequest, county: FromPath[str], data: JSONBody[RecoverySettle]) -> CommandAccepted:
        claims = _services(request).claims
        return CommandAccepted(position=await _command(lambda: claims.settle_recovery(
            county, data.organisation, data.payee, data.amount_fen, data.reference, request.user.actor)))


CONTROLLERS = [ClaimController]
