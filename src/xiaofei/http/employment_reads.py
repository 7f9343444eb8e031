"""Reads of what was written in the employment slice: a county's organisations and workshops, an employer's
workshops, workers, slips (with versions and proof) and upload receipts. Every list is paged (``limit`` ≤ 500,
``after`` = the previous page's ``next_after``)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from xiaofei.http.auth import roles
from xiaofei.http.routes import (
    EMPLOYER,
    READERS,
    After,
    AnyRequest,
    Limit,
    MinPosition,
    Month,
    _fresh,
    _month,
    found,
)
from xiaofei.queries import records
from xiaofei.queries import workforce as wq
from xiaofei.queries.employment import workshop_in_county

WorkshopStatus = Literal["all", "certified", "eligible"]
SlipStatus = Literal["verified", "unverified", "rejected", "voided"]


class CountyWorkforceReads(Controller):
    """Mixed into the county's employment controller (one controller per path: Litestar adds one OPTIONS
    handler per controller and path)."""

    @get("/organisations", operation_id="listCountyOrganisations", opt=roles(*READERS),
         summary="The county's organisations, with workshop and current worker counts",
         description="Paged by credit code. `form` filters by organisation form (enterprise, cooperative…).")
    async def organisations(self, request: AnyRequest, county: FromPath[str], form: FromQuery[str | None] = None,
                            after: After = None, limit: Limit = 100,
                            min_position: MinPosition = None) -> wq.OrganisationPage:
        pool = await _fresh(request, min_position, "employment")
        return await wq.organisations(pool, county, form=form, after=after, limit=limit)

    @get("/organisations/{credit_code:str}", operation_id="getCountyOrganisation", opt=roles(*READERS),
         summary="One organisation: its workshops with their certification history and worker counts")
    async def organisation(self, request: AnyRequest, county: FromPath[str], credit_code: FromPath[str],
                           min_position: MinPosition = None) -> wq.OrganisationDetail:
        pool = await _fresh(request, min_position, "employment")
        return found(await wq.organisation(pool, county, credit_code), f"no organisation {credit_code} in county {county}")

    @get("/workshops", operation_id="listCountyWorkshops", opt=roles(*READERS),
         summary="The county's workshops (扶贫车间): certified, eligible or all, by township, village, organisation",
         description="`status=certified`: a certification period covers today (Asia/Shanghai); `eligible`: the "
                     "latest computed month met the certification criteria. `township` is the village code's first "
                     "9 digits. Paged by workshop id.")
    async def workshops(self, request: AnyRequest, county: FromPath[str], status: FromQuery[WorkshopStatus] = "all",
                        township: FromQuery[str | None] = None, village: FromQuery[str | None] = None,
                        organisation: FromQuery[str | None] = None, after: After = None, limit: Limit = 100,
                        min_position: MinPosition = None) -> wq.WorkshopPage:
        pool = await _fresh(request, min_position, "employment")
        return await wq.workshops(pool, county=county, organisation=organisation, status=status, township=township,
                                  village=village, after=after, limit=limit)

    @get("/workshops/{workshop_id:uuid}", operation_id="getCountyWorkshop", opt=roles(*READERS),
         summary="One workshop: certification periods, current workers, and its last 24 months")
    async def workshop(self, request: AnyRequest, county: FromPath[str], workshop_id: FromPath[UUID],
                       min_position: MinPosition = None) -> wq.WorkshopDetail:
        pool = await _fresh(request, min_position, "employment")
        return found(await wq.workshop(pool, workshop_id, county=county), f"no workshop {workshop_id} in county {county}")

    @get("/workshops/{workshop_id:uuid}/workers", operation_id="listCountyWorkshopWorkers", opt=roles(*READERS),
         summary="A workshop's workers (name, masked ID number, dates, contract), paged by start date")
    async def workers(self, request: AnyRequest, county: FromPath[str], workshop_id: FromPath[UUID],
                      current: FromQuery[bool] = False, after: After = None, limit: Limit = 100,
                      min_position: MinPosition = None) -> wq.WorkerPage:
        pool = await _fresh(request, min_position, "employment")
        if not await workshop_in_county(pool, county, workshop_id):
            raise NotFoundException(f"no workshop {workshop_id} in county {county}")
        return await wq.workers(pool, workshop_id, current_only=current, after=after, limit=limit)


class EmployerWorkforceReads(Controller):
    """Mixed into the organisation's controller."""

    async def _own_workshop(self, request: AnyRequest, org: str, workshop_id: UUID, min_position: int | None) -> Any:
        """The read pool, once the organisation is known to have the workshop (404 otherwise)."""
        pool = await _fresh(request, min_position, "employment")
        if not await wq.workshop_of(pool, org, workshop_id):
            raise NotFoundException(f"no workshop {workshop_id} of organisation {org}")
        return pool

    @get("/workshops", operation_id="listOwnWorkshops", opt=roles(*EMPLOYER, *READERS),
         summary="The organisation's workshops, with certification status and current workers")
    async def workshops(self, request: AnyRequest, org: FromPath[str], status: FromQuery[WorkshopStatus] = "all",
                        after: After = None, limit: Limit = 100,
                        min_position: MinPosition = None) -> wq.WorkshopPage:
        pool = await _fresh(request, min_position, "employment")
        return await wq.workshops(pool, organisation=org, status=status, after=after, limit=limit)

    @get("/workshops/{workshop_id:uuid}", operation_id="getOwnWorkshop", opt=roles(*EMPLOYER, *READERS),
         summary="One of the organisation's workshops: certification periods, current workers, last 24 months")
    async def workshop(self, request: AnyRequest, org: FromPath[str], workshop_id: FromPath[UUID],
                       min_position: MinPosition = None) -> wq.WorkshopDetail:
        pool = await _fresh(request, min_position, "employment")
        return found(await wq.workshop(pool, workshop_id, organisation=org),
                     f"no workshop {workshop_id} of organisation {org}")

    @get("/workshops/{workshop_id:uuid}/workers", operation_id="listOwnWorkshopWorkers",
         opt=roles(*EMPLOYER, *READERS),
         summary="The workshop's workers as the employer recorded them (name, masked ID, dates, contract)",
         description="Each worker's `employment_id` is what ending an employment needs. `current=true` keeps only "
                     "employments that cover today (Asia/Shanghai).")
    async def workers(self, request: AnyRequest, org: FromPath[str], workshop_id: FromPath[UUID],
                      current: FromQuery[bool] = False, after: After = None, limit: Limit = 100,
                      min_position: MinPosition = None) -> wq.WorkerPage:
        pool = await self._own_workshop(request, org, workshop_id, min_position)
        return await wq.workers(pool, workshop_id, current_only=current, after=after, limit=limit)

    @get("/workshops/{workshop_id:uuid}/costs", operation_id="listOwnWorkshopCosts", opt=roles(*EMPLOYER, *READERS),
         summary="The workshop's premises costs (rent, utilities) by month, with their evidence")
    async def costs(self, request: AnyRequest, org: FromPath[str], workshop_id: FromPath[UUID], after: After = None,
                    limit: Limit = 100, min_position: MinPosition = None) -> records.CostPage:
        pool = await self._own_workshop(request, org, workshop_id, min_position)
        return await records.workshop_costs(pool, workshop_id, after=after, limit=limit)

    @get("/trainings", operation_id="listOwnTrainings", opt=roles(*EMPLOYER, *READERS),
         summary="The organisation's recorded trainings with their trainees (name, masked ID)")
    async def trainings(self, request: AnyRequest, org: FromPath[str], workshop_id: FromQuery[UUID | None] = None,
                        after: After = None, limit: Limit = 100,
                        min_position: MinPosition = None) -> records.TrainingPage:
        pool = await _fresh(request, min_position, "employment")
        return await records.trainings(pool, org, workshop_id=workshop_id, after=after, limit=limit)

    @get("/bank-statements", operation_id="listOwnBankStatements", opt=roles(*EMPLOYER, *READERS),
         summary="The organisation's uploaded bank statements: lines, how many proved a slip, dates, total")
    async def statements(self, request: AnyRequest, org: FromPath[str], after: After = None, limit: Limit = 100,
                         min_position: MinPosition = None) -> records.StatementPage:
        pool = await _fresh(request, min_position, "employment")
        return await records.statements(pool, org, after=after, limit=limit)

    @get("/bank-statements/{statement_id:uuid}", operation_id="getOwnBankStatement", opt=roles(*EMPLOYER, *READERS),
         summary="One bank statement, each line with the slip it proved (or none)")
    async def statement(self, request: AnyRequest, org: FromPath[str], statement_id: FromPath[UUID],
                        min_position: MinPosition = None) -> records.StatementView:
        pool = await _fresh(request, min_position, "employment")
        return found(await records.statement(pool, org, statement_id), f"no bank statement {statement_id} of organisation {org}")

    @get("/slips", operation_id="listOwnSlips", opt=roles(*EMPLOYER, *READERS),
         summary="The organisation's wage slips by workshop, month, worker and status, with their proof",
         description="`status`: `verified` (a bank statement line or an official proved the current version), "
                     "`unverified`, `rejected`, `voided`. `employment_id` selects one worker. Paged by month, "
                     "workshop and slip id.")
    async def slips(self, request: AnyRequest, org: FromPath[str], workshop_id: FromQuery[UUID | None] = None,
                    month: FromQuery[Month | None] = None, employment_id: FromQuery[UUID | None] = None,
                    status: FromQuery[SlipStatus | None] = None, after: After = None, limit: Limit = 100,
                    min_position: MinPosition = None) -> wq.SlipPage:
        pool = await _fresh(request, min_position, "employment")
        return await wq.slips(pool, org, workshop_id=workshop_id, month=_month(month), employment_id=employment_id,
                              status=status, after=after, limit=limit)

    @get("/slips/{slip_id:uuid}", operation_id="getOwnSlip", opt=roles(*EMPLOYER, *READERS),
         summary="One slip with every version (corrections and their reasons) and its verification")
    async def slip(self, request: AnyRequest, org: FromPath[str], slip_id: FromPath[UUID],
                   min_position: MinPosition = None) -> wq.SlipDetail:
        pool = await _fresh(request, min_position, "employment")
        return found(await wq.slip(pool, org, slip_id), f"no slip {slip_id} of organisation {org}")

    @get("/uploads", operation_id="listOwnUploads", opt=roles(*EMPLOYER, *READERS),
         summary="The organisation's slip uploads (receipts), newest first")
    async def uploads(self, request: AnyRequest, org: FromPath[str], after: After = None, limit: Limit = 100,
                      min_position: MinPosition = None) -> wq.UploadReceiptPage:
        pool = await _fresh(request, min_position, "employment")
        return await wq.uploads(pool, org, after=after, limit=limit)

    @get("/uploads/{upload_id:uuid}", operation_id="getOwnUpload", opt=roles(*EMPLOYER, *READERS),
         summary="One upload receipt (the upload_id a slip upload answered) with the slip versions it wrote")
    async def upload(self, request: AnyRequest, org: FromPath[str], upload_id: FromPath[UUID],
                     min_position: MinPosition = None) -> wq.UploadReceiptView:
        pool = await _fresh(request, min_position, "employment")
        return found(await wq.upload(pool, org, upload_id), f"no upload {upload_id} of organisation {org}")

