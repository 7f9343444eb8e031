"""Employment endpoints: officials under ``/counties/{county}``, employers under ``/organisations/{org}``."""

from __future__ import annotations

from typing import Annotated, TypeVar
from uuid import UUID

import msgspec

from litestar import get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from xiaofei.application.slips import parse_json, parse_table
from xiaofei.application.tables import CSV_TYPES, XLSX_TYPES
from xiaofei.application.whatif import Override, what_if
from xiaofei.http.auth import roles
from xiaofei.http.employment_reads import CountyWorkforceReads, EmployerWorkforceReads
from xiaofei.http.routes import (
    EMPLOYER,
    OFFICIAL,
    READERS,
    After,
    AnyRequest,
    Limit,
    MinPosition,
    Month,
    _command,
    _fresh,
    _month,
    _services,
    found,
)
from xiaofei.http.whatif_schemas import WhatIfRequest, WhatIfView
from xiaofei.http.schemas import (
    Certification,
    CostReport,
    CommandAccepted,
    Created,
    Decertification,
    EmploymentEnd,
    OrganisationCreate,
    Reason,
    SlipUploadResult,
    StatementUploadResult,
    TrainingRecord,
    WorkerHire,
    WorkshopCreate,
)
from xiaofei.queries import employment as eq
from xiaofei.rules.disclosure import Viewer

T = TypeVar("T")
ENTITLEMENTS = ("Paged by month, workshop, subject and subsidy (at most 500 a page). Each line names the worker as the "
                "employer recorded them (name, masked ID), links its slip, and says what claims have asked for it "
                "(`claimed_fen`) and the status of the last one (`claim_status`: unclaimed, filed, in_review, reviewed, "
                "in_notice, approved, paid, or rejected).")
IdempotencyKey = Annotated[str, HeaderParameter(name="Idempotency-Key", min_length=8, max_length=200)]


def _found(rows: list[T] | None, county: str, workshop_id: UUID) -> list[T]:
    """A county workshop's rows, or 404 when the county has no such workshop."""
    return found(rows, f"no workshop {workshop_id} in county {county}")


def _viewer(request: AnyRequest) -> Viewer:
    """Who reads an explanation: employers see outcomes, registry details stay with the worker's county."""
    return Viewer(role=request.user.role, counties=frozenset(request.user.counties))


class CountyEmploymentController(CountyWorkforceReads):
    path = "/counties/{county:str}"
    tags = ["employment"]

    @post("/organisations", operation_id="registerOrganisation", opt=roles(*OFFICIAL),
          summary="Register an organisation (企业/合作社/家庭农场/村集体) by unified social credit code")
    async def register_organisation(self, request: AnyRequest, county: FromPath[str],
                                    data: JSONBody[OrganisationCreate]) -> CommandAccepted:
        employment = _services(request).employment
        return CommandAccepted(position=await _command(lambda: employment.register_organisation(
            county, data.credit_code, data.name, data.form, data.address, request.user.actor)))

    @post("/workshops/{workshop_id:uuid}/certification", operation_id="certifyWorkshop", opt=roles(*OFFICIAL),
          summary="Certify a workshop (认定, plaque number and date)")
    async def certify(self, request: AnyRequest, county: FromPath[str], workshop_id: FromPath[UUID],
                      data: JSONBody[Certification]) -> CommandAccepted:
        employment = _services(request).employment
        return CommandAccepted(position=await _command(lambda: employment.certify(
            county, workshop_id, data.plaque_number, data.certified_on, request.user.actor)))

    @post("/workshops/{workshop_id:uuid}/refusal", operation_id="refuseWorkshop", opt=roles(*OFFICIAL),
          summary="Refuse certification, with a reason")
    async def refuse(self, request: AnyRequest, county: FromPath[str], workshop_id: FromPath[UUID],
                     data: JSONBody[Reason]) -> CommandAccepted:
        employment = _services(request).employment
        return CommandAccepted(position=await _command(lambda: employment.refuse(
            county, workshop_id, data.reason, request.user.actor)))

    @post("/workshops/{workshop_id:uuid}/decertification", operation_id="decertifyWorkshop", opt=roles(*OFFICIAL),
          summary="Decertify a workshop from a date, with a reason")
    async def decertify(self, request: AnyRequest, county: FromPath[str], workshop_id: FromPath[UUID],
                        data: JSONBody[Decertification]) -> CommandAccepted:
        employment = _services(request).employment
        return CommandAccepted(position=await _command(lambda: employment.decertify(
            county, workshop_id, data.effective_date, data.reason, request.user.actor)))

    @get("/workshops/{workshop_id:uuid}/certification-months", operation_id="workshopCertificationMonths",
         opt=roles(*READERS), summary="Month by month: does the workshop meet the criteria, with which workers")
    async def certification_months(self, request: AnyRequest, county: FromPath[str], workshop_id: FromPath[UUID],
                                   min_position: MinPosition = None) -> list[eq.CertificationMonth]:
        pool = await _fresh(request, min_position, "employment")
        return _found(await eq.certification_months(pool, county, workshop_id), county, workshop_id)

    @get("/workshops/{workshop_id:uuid}/certifications", operation_id="workshopCertifications",
         opt=roles(*READERS), summary="Every certification period of the workshop (plaque, from, to, reason)")
    async def certifications(self, request: AnyRequest, county: FromPath[str], workshop_id: FromPath[UUID],
                             min_position: MinPosition = None) -> list[eq.CertificationPeriodView]:
        pool = await _fresh(request, min_position, "employment")
        return _found(await eq.certification_periods(pool, county, workshop_id), county, workshop_id)

    @post("/workshops/{workshop_id:uuid}/slips/{month:str}/{slip_id:uuid}/verification", operation_id="verifySlip",
          opt=roles(*OFFICIAL), summary="Verify a slip by hand (say what evidence was checked)")
    async def verify(self, request: AnyRequest, county: FromPath[str], workshop_id: FromPath[UUID],
                     month: FromPath[str], slip_id: FromPath[UUID], data: JSONBody[Reason]) -> CommandAccepted:
        employment = _services(request).employment
        return CommandAccepted(position=await _command(lambda: employment.verify_slip(
            county, workshop_id, month, slip_id, data.reason, request.user.actor)))

    @post("/workshops/{workshop_id:uuid}/slips/{month:str}/{slip_id:uuid}/rejection", operation_id="rejectSlip",
          opt=roles(*OFFICIAL), summary="Reject a slip's proof of payment, with a reason")
    async def reject(self, request: AnyRequest, county: FromPath[str], workshop_id: FromPath[UUID],
                     month: FromPath[str], slip_id: FromPath[UUID], data: JSONBody[Reason]) -> CommandAccepted:
        employment = _services(request).employment
        return CommandAccepted(position=await _command(lambda: employment.reject_slip(
            county, workshop_id, month, slip_id, data.reason, request.user.actor)))

    @post("/what-if", operation_id="whatIf", opt=roles(*READERS), status_code=200,
          summary="Recompute entitlements over the real history under candidate parameters (writes nothing)",
          description="Every entitlement of the county's months in the period recomputed under the candidate "
                      "parameter versions (added as the newest county versions), by the projection's own code, in a "
                      "transaction that is rolled back: the county total, by subsidy and by employer; and the "
                      "county's household-years of the period whose income (收入核算) the candidates change: every "
                      "household of the county recomputed by the income projection's own code under the candidate "
                      "versions (`income.cost_ratio.*`, `monitoring.threshold_fen`, `monitoring.poverty_line_fen`, "
                      "`monitoring.sudden_drop_pct`, revenue-share parameters), plus the entitlement change of the "
                      "lines paid to a worker (payee `worker`: the worker wage subsidy) counted as if paid, in the "
                      "year of the line's month, for the household the worker belonged to on that month's last day "
                      "(lines paid to employers move no household's income). Each household names its current and "
                      "candidate net and per-capita net income, threshold and flags, and whether it would cross the "
                      "monitoring threshold (`up`, `down`). County officials and auditors only.")
    async def what_if(self, request: AnyRequest, county: FromPath[str],
                      data: JSONBody[WhatIfRequest]) -> WhatIfView:
        params = _services(request).params
        overrides = [Override(o.name, o.value, o.effective_from, o.effective_to) for o in data.overrides]
        result = await _command(lambda: what_if(params, county, data.period_from, data.period_to, overrides))
        return msgspec.convert(result, WhatIfView, from_attributes=True)

    @get("/flags", operation_id="countyFlags", opt=roles(*READERS),
         summary="Integrity flags standing in the county, each with its evidence")
    async def flags(self, request: AnyRequest, county: FromPath[str], kind: FromQuery[str | None] = None,
                    after: After = None, limit: Limit = 500, min_position: MinPosition = None) -> eq.FlagPage:
        pool = await _fresh(request, min_position, "employment")
        return await eq.flags(pool, county, kind, after, limit)

    @get("/entitlements", operation_id="countyEntitlements", opt=roles(*READERS),
         summary="Subsidy entitlement lines of the county, each with its explanation, worker, slip and claim status",
         description=ENTITLEMENTS)
    async def entitlements(self, request: AnyRequest, county: FromPath[str], month: FromQuery[Month | None] = None,
                           organisation: FromQuery[str | None] = None, workshop_id: FromQuery[UUID | None] = None,
                           subsidy: FromQuery[str | None] = None, after: After = None, limit: Limit = 500,
                           min_position: MinPosition = None) -> eq.EntitlementPage:
        pool = await _fresh(request, min_position, "employment")
        return await eq.entitlements(pool, _viewer(request), county=county, organisation=organisation,
                                     month=_month(month), workshop_id=workshop_id, subsidy=subsidy, after=after,
                                     limit=limit)


class OrganisationController(EmployerWorkforceReads):
    path = "/organisations/{org:str}"
    tags = ["employment"]

    @post("/workshops", operation_id="registerWorkshop", opt=roles(*EMPLOYER), summary="Register a workshop")
    async def register_workshop(self, request: AnyRequest, org: FromPath[str],
                                data: JSONBody[WorkshopCreate]) -> Created:
        employment = _services(request).employment
        workshop_id, position = await _command(lambda: employment.register_workshop(
            org, data.name, data.workshop_type, data.village_code, data.premises, request.user.actor))
        return Created(id=workshop_id, position=position)

    @post("/workshops/{workshop_id:uuid}/workers", operation_id="hireWorker", opt=roles(*EMPLOYER),
          summary="Record a worker's employment (matched to the registry by ID hash)")
    async def hire(self, request: AnyRequest, org: FromPath[str], workshop_id: FromPath[UUID],
                   data: JSONBody[WorkerHire]) -> Created:
        employment = _services(request).employment
        employment_id, position = await _command(lambda: employment.hire(
            org, workshop_id, data.name, data.id_number, data.contract_type, data.start, data.end, data.pay_form,
            request.user.actor))
        return Created(id=employment_id, position=position)

    @post("/workshops/{workshop_id:uuid}/workers/{employment_id:uuid}/end", operation_id="endEmployment",
          opt=roles(*EMPLOYER), summary="Record the end of an employment")
    async def end(self, request: AnyRequest, org: FromPath[str], workshop_id: FromPath[UUID],
                  employment_id: FromPath[UUID], data: JSONBody[EmploymentEnd]) -> CommandAccepted:
        employment = _services(request).employment
        return CommandAccepted(position=await _command(lambda: employment.end_employment(
            org, workshop_id, employment_id, data.end, data.reason, request.user.actor)))

    @post("/workshops/{workshop_id:uuid}/costs", operation_id="reportWorkshopCost", opt=roles(*EMPLOYER),
          summary="Report an evidenced rent or utilities cost of a month (场租水电)")
    async def report_cost(self, request: AnyRequest, org: FromPath[str], workshop_id: FromPath[UUID],
                          data: JSONBody[CostReport]) -> CommandAccepted:
        employment = _services(request).employment
        return CommandAccepted(position=await _command(lambda: employment.report_cost(
            org, workshop_id, data.month, data.kind, data.amount_fen, data.evidence, request.user.actor)))

    @post("/workshops/{workshop_id:uuid}/trainings", operation_id="recordTraining", opt=roles(*EMPLOYER),
          summary="Record a training (培训) with its trainees")
    async def record_training(self, request: AnyRequest, org: FromPath[str], workshop_id: FromPath[UUID],
                              data: JSONBody[TrainingRecord]) -> Created:
        employment = _services(request).employment
        training_id, position = await _command(lambda: employment.record_training(
            org, workshop_id, data.held_on, data.course, data.hours, [(t.name, t.id_number) for t in data.trainees],
            request.user.actor))
        return Created(id=training_id, position=position)

    @post("/wage-slips", operation_id="uploadWageSlips", opt=roles(*EMPLOYER),
          summary="Upload wage slips: JSON {slips:[…]} (fen), or CSV / XLSX (元); at most 5,000; all or nothing")
    async def upload_slips(self, request: AnyRequest, org: FromPath[str],
                           idempotency_key: IdempotencyKey) -> SlipUploadResult:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        body = await request.body()
        if content_type == "application/json":
            rows = await _command(lambda: parse_json(body))
        elif content_type in CSV_TYPES or content_type in XLSX_TYPES:
            rows = await _command(lambda: parse_table(body, xlsx=content_type in XLSX_TYPES))
        else:
            raise HTTPException(status_code=415, detail="send application/json, text/csv or an XLSX workbook")
        employment = _services(request).employment
        result = await _command(lambda: employment.upload_slips(org, idempotency_key, body, rows, request.user.actor))
        return SlipUploadResult(upload_id=result.upload_id, rows=result.rows, reported=result.reported,
                                corrected=result.corrected, unchanged=result.unchanged, replayed=result.replayed,
                                position=result.position, verified=result.verified)

    @post("/workshops/{workshop_id:uuid}/slips/{month:str}/{slip_id:uuid}/void", operation_id="voidSlip",
          opt=roles(*EMPLOYER), summary="Void a slip, with a reason")
    async def void(self, request: AnyRequest, org: FromPath[str], workshop_id: FromPath[UUID], month: FromPath[str],
                   slip_id: FromPath[UUID], data: JSONBody[Reason]) -> CommandAccepted:
        employment = _services(request).employment
        return CommandAccepted(position=await _command(lambda: employment.void_slip(
            org, workshop_id, month, slip_id, data.reason, request.user.actor)))

    @post("/bank-statements", operation_id="uploadBankStatement", opt=roles(*EMPLOYER),
          summary="Upload a bank statement (CSV: date, amount_yuan, payee_name, payee_account, reference)")
    async def upload_statement(self, request: AnyRequest, org: FromPath[str]) -> StatementUploadResult:
        if request.headers.get("content-type", "").split(";")[0].strip() not in CSV_TYPES:
            raise HTTPException(status_code=415, detail="send the statement as text/csv")
        body = await request.body()
        employment = _services(request).employment
        result = await _command(lambda: employment.upload_statement(org, body, request.user.actor))
        return StatementUploadResult(statement_id=result.statement_id, lines=result.lines, matched=result.matched,
                                     already_uploaded=result.already_uploaded, position=result.position)

    @get("/entitlements", operation_id="organisationEntitlements", opt=roles(*EMPLOYER, *READERS),
         summary="The organisation's entitlement lines, each with its explanation, worker, slip and claim status",
         description=ENTITLEMENTS)
    async def entitlements(self, request: AnyRequest, org: FromPath[str], month: FromQuery[Month | None] = None,
                           workshop_id: FromQuery[UUID | None] = None, subsidy: FromQuery[str | None] = None,
                           after: After = None, limit: Limit = 500,
                           min_position: MinPosition = None) -> eq.EntitlementPage:
        pool = await _fresh(request, min_position, "employment")
        return await eq.entitlements(pool, _viewer(request), organisation=org, month=_month(month),
                                     workshop_id=workshop_id, subsidy=subsidy, after=after, limit=limit)

    @get("/workshops/{workshop_id:uuid}/certification-months", operation_id="employerCertificationMonths",
         opt=roles(*EMPLOYER, *READERS),
         summary="Month by month: does the workshop meet the criteria, with which of its own workers")
    async def certification_months(self, request: AnyRequest, org: FromPath[str], workshop_id: FromPath[UUID],
                                   min_position: MinPosition = None) -> list[eq.EmployerCertificationMonth]:
        pool = await _fresh(request, min_position, "employment")
        return found(await eq.employer_certification_months(pool, org, workshop_id),
                     f"no workshop {workshop_id} of organisation {org}")

    @get("/unmatched-slips", operation_id="unmatchedSlips", opt=roles(*EMPLOYER, *READERS),
         summary="Slips whose current version no bank statement (or official) has verified")
    async def unmatched_slips(self, request: AnyRequest, org: FromPath[str], after: After = None,
                              limit: Limit = 500, min_position: MinPosition = None) -> eq.UnmatchedSlipPage:
        pool = await _fresh(request, min_position, "employment")
        return await eq.unmatched_slips(pool, org, after, limit)

    @get("/unmatched-statement-lines", operation_id="unmatchedStatementLines", opt=roles(*EMPLOYER, *READERS),
         summary="Bank statement lines that matched no slip")
    async def unmatched_lines(self, request: AnyRequest, org: FromPath[str], after: After = None,
                              limit: Limit = 500, min_position: MinPosition = None) -> eq.UnmatchedLinePage:
        pool = await _fresh(request, min_position, "employment")
        return await eq.unmatched_lines(pool, org, after, limit)


CONTROLLERS = [CountyEmploymentController, OrganisationController]
