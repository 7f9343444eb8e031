"""Deterministic aggregate ids (uuid5), so uniqueness is enforced by the event store itself."""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("6f1b3f38-2a37-4a55-9d1e-6c3f0f5a8e01")


def county_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"county:{code}")


def household_id(county: str, household_number: str) -> UUID:
    return uuid5(NAMESPACE, f"household:{county}:{household_number}")


def import_batch_id(county: str, file_sha256: str) -> UUID:
    return uuid5(NAMESPACE, f"household-import:{county}:{file_sha256}")


def bootstrap_marker_id() -> UUID:
    return uuid5(NAMESPACE, "bootstrap:first-admin-token")


def policy_book_id(scope: str) -> UUID:
    return uuid5(NAMESPACE, f"policy-book:{scope}")


def organisation_id(credit_code: str) -> UUID:
    return uuid5(NAMESPACE, f"organisation:{credit_code}")


def payroll_id(workshop_id: UUID, month: str) -> UUID:
    return uuid5(NAMESPACE, f"payroll:{workshop_id}:{month}")


def slip_id(workshop_id: UUID, month: str, id_hash: str) -> UUID:
    return uuid5(NAMESPACE, f"slip:{workshop_id}:{month}:{id_hash}")


def upload_receipt_id(organisation: str, idempotency_key: str) -> UUID:
    return uuid5(NAMESPACE, f"upload:{organisation}:{idempotency_key}")


def bank_statement_id(organisation: str, file_sha256: str) -> UUID:
    return uuid5(NAMESPACE, f"bank-statement:{organisation}:{file_sha256}")


def claim_ledger_id(organisation: str) -> UUID:
    return uuid5(NAMESPACE, f"claim-ledger:{organisation}")


def hiring_award_key(county: str, era: str, id_hash: str) -> UUID:
    """The one hiring award a person can earn in a county and era: the same key wherever and whenever it lands,
    so a claim ledger knows it was claimed even when a late change moves it to another month or workshop."""
    return uuid5(NAMESPACE, f"hiring-award:{county}:{era}:{id_hash}")


def api_token_id(token_hash: str) -> UUID:
    """A token's aggregate id follows from its hash, so authentication reads the token's own events directly."""
    return uuid5(NAMESPACE, f"api-token:{token_hash}")


# -- consumption -------------------------------------------------------------------------------------------------------

def certification_id(subject: str, subject_id: str) -> UUID:
    return uuid5(NAMESPACE, f"certification:{subject}:{subject_id}")


def seller_id(credit_code: str) -> UUID:
    return uuid5(NAMESPACE, f"seller:{credit_code}")


def linkage_ledger_id(credit_code: str) -> UUID:
    return uuid5(NAMESPACE, f"linkage-ledger:{credit_code}")


def price_book_id(county: str) -> UUID:
    return uuid5(NAMESPACE, f"price-book:{county}")


def buyer_id(key: str) -> UUID:
    """A buyer's key is its credit code, or for an individual the key the county gave it."""
    return uuid5(NAMESPACE, f"buyer:{key}")


def order_id(buyer: str, idempotency_key: str) -> UUID:
    """One order per buyer and ``Idempotency-Key``: the same request again finds the order it made."""
    return uuid5(NAMESPACE, f"order:{buyer}:{idempotency_key}")


def channel_sale_id(seller: str, channel: str, reference: str) -> UUID:
    """A channel sale is known by its seller, its channel and the channel's own order reference: the same seller
    uploading it twice is a no-op; another seller's row under the same reference is another sale."""
    return uuid5(NAMESPACE, f"channel-sale:{seller}:{channel}:{reference}")


def legacy_channel_sale_id(channel: str, reference: str) -> UUID:
    """The id sales recorded before they were known per seller have: channel and reference only."""
    return uuid5(NAMESPACE, f"channel-sale:{channel}:{reference}")


def channel_upload_id(uploader: str, idempotency_key: str) -> UUID:
    return uuid5(NAMESPACE, f"channel-upload:{uploader}:{idempotency_key}")


def certificate_id(county: str, certificate_number: str) -> UUID:
    return uuid5(NAMESPACE, f"certificate:{county}:{certificate_number}")
