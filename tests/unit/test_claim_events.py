"""Claims filed before the filing date and the initiator were recorded still load (upcast v1 → v2)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import msgspec
from eventsourcing.persistence import StoredEvent

from xiaofei.domain.claims import Claim
from xiaofei.persistence import MsgspecMapper, MsgspecTranscoder

V1_STATE = {
    "actor": "token:employer", "county": "360724", "organisation": "91360724MA35XXXX0L",
    "originator_topic": "xiaofei.domain.claims:Claim", "period_from": "2024-03", "period_to": "2024-03",
    "timestamp": "2024-06-30T16:30:00Z",  # 00:30 on 1 July in Beijing
    "lines": [{"adjusts_claim": None, "amount_fen": 12000, "entitled_fen": 12000, "explanation": {}, "kind":
               "entitlement", "line_no": 1, "month": "2024-03", "payee": "employer", "previously_claimed_fen": 0,
               "slip_id": "00000000-0000-0000-0000-000000000009", "slip_version": 1, "subsidy": "employer_match",
               "workshop_id": "00000000-0000-0000-0000-000000000005"}],
}


def test_a_v1_claim_is_filed_on_the_beijing_date_of_its_recording_by_the_employer() -> None:
    mapper = MsgspecMapper(transcoder=MsgspecTranscoder())
    stored = StoredEvent(originator_id=uuid4(), originator_version=1, topic="xiaofei.domain.claims:Claim.Filed",
                         state=msgspec.json.encode(V1_STATE))
    event = mapper.to_domain_event(stored)
    claim = event.mutate(None)
    assert isinstance(claim, Claim)
    assert (claim.filed_on, claim.initiated_by) == (date(2024, 7, 1), "employer")
    assert claim.lines[1].verification is None and claim.lines[1].amount_fen == 12000
