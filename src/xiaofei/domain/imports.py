"""Household import batches: one per county and file content, so importing the same file again is a no-op."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids


class HouseholdImport(Aggregate):
    """The record that a CSV file was imported into a county's registry, and what it did."""

    @staticmethod
    def create_id(county: str, file_sha256: str) -> UUID:
        return ids.import_batch_id(county, file_sha256)

    class Completed(Aggregate.Created):
        county: str
        file_sha256: str
        filename: str
        rows: int
        registered: int
        unchanged: int
        actor: str

    @event(Completed)
    def __init__(
        self, county: str, file_sha256: str, filename: str, rows: int, registered: int, unchanged: int, actor: str
    ) -> None:
        self.county = county
        self.file_sha256 = file_sha256
        self.filename = filename
        self.rows = rows
        self.registered = registered
        self.unchanged = unchanged
