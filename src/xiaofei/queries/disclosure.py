"""Disclosure on read (``xiaofei.rules.disclosure``): which registry counties a line's worker belongs to, and the
claims wrapper that applies it to claim lines whatever module lists the claims."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import asyncpg

from xiaofei.rules.disclosure import Viewer, disclose, sees_everything

S = "rm_employment"


async def registry_counties(pool: asyncpg.Pool, id_hashes: Iterable[str]) -> dict[str, frozenset[str]]:
    """Every county whose registry has (or had) a member with this ID hash; a hash not listed is in none."""
    wanted = sorted({h for h in id_hashes if h})
    if not wanted:
        return {}
    rows = await pool.fetch(f"SELECT id_hash, array_agg(DISTINCT county) AS counties FROM {S}.persons"
                            " WHERE id_hash = ANY($1) GROUP BY id_hash", wanted)
    return {r["id_hash"]: frozenset(r["counties"]) for r in rows}


async def disclose_claim_lines(pool: asyncpg.Pool, claims: list[Any], viewer: Viewer) -> list[Any]:
    """Replace each claim line's explanation by what ``viewer`` may read (lines: ``slip_id``, ``payee``,
    ``explanation``). A line whose worker cannot be told is shown as an outcome to everyone."""
    lines = [ln for c in claims for ln in c.lines]
    if not lines:
        return claims
    hashes: dict[UUID, str] = {}
    for ln in lines:
        if str(ln.payee).startswith("worker:"):
            hashes[ln.slip_id] = str(ln.payee).removeprefix("worker:")
    unknown = sorted({ln.slip_id for ln in lines if ln.slip_id not in hashes}, key=str)
    if unknown:
        rows = await pool.fetch(f"SELECT slip_id, id_hash FROM {S}.slips WHERE slip_id = ANY($1) UNION"
                                f" SELECT slip_id, id_hash FROM {S}.entitlements WHERE slip_id = ANY($1)", unknown)
        hashes.update((r["slip_id"], r["id_hash"]) for r in rows)
    counties = await registry_counties(pool, hashes.values())
    for ln in lines:
        h = hashes.get(ln.slip_id)
        known = None if h is None else counties.get(h, frozenset())
        if not sees_everything(viewer, known):
            ln.explanation = disclose(ln.explanation, viewer, known)
    return claims
