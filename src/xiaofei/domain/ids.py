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
