"""What a reader may see of an entitlement explanation (pure; applied when explanations are read).

Explanations are stored whole. Officials and auditors of *every* registry county the worker belongs to read them
whole, but for the worker's exact age (see ``without_exact_ages``). Everyone else — employers (and sellers, buyers), and officials or auditors of the workshop's county when
the worker is registered elsewhere — reads the **outcome view**: whether each check passed and why in terms the
reader is entitled to ("registered poor/monitored worker: yes", "age within bounds: no"), never the household
number, member number, category, category dates, birth date, age or sex. Officials of the workshop's county are
also told which county's registry the worker is in, so they know whom to ask.

Deny by default: explanation keys not listed here are dropped, and a check this module does not know keeps its
name and outcome but loses its detail. A check may carry a stable ``code``; codes are read before names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

FULL_ROLES = frozenset({"county_official", "auditor"})

SAFE_KEYS = frozenset({"month", "rule", "slip", "slips", "inputs", "parameters", "parameters_on", "amount_fen",
                       "training_id", "held_on", "previously_rejected", "entitlement", "era", "hired_on"})
"""Facts of the employer's own payroll and of public policy: shown as they are."""

REGISTERED = "registered poor/monitored worker (eligible household category)"
AGE = "age within bounds"
NOT_REGISTERED = "no: staff, but never subsidised unless registered as a poor/monitored worker"
OUTCOME_NOTE = ("outcome only: registry details (household, member, category, age) are shown to officials and "
                "auditors of the worker's county")

# Checks about the employer's own facts: shown whole.
_OWN = (re.compile(r"^slip is current$"), re.compile(r"^workshop certified on "),
        re.compile(r"^wages verified by bank statement$"), re.compile(r"^at least \d+ days worked$"),
        re.compile(r"^gross pay at least "), re.compile(r"^first subsidised training of \d{4}$"),
        re.compile(r"^\d+ consecutive eligible months with "), re.compile(r"^pay over those months$"),
        re.compile(r"^within \d+ months of certification$"), re.compile(r"^eligible poor workers at least "),
        re.compile(r"^costs evidenced$"))
# Checks about the registry: merged into one yes/no, or shown as a bare outcome.
_REGISTRY = (re.compile(r"^(worker|trainee) found in the registry"), re.compile(r"^household category on "))
_AGE = re.compile(r"^age (on \S+ )?within ")
# "min_days" and "wage_floor" total the worker's month across every employer: shown as a bare outcome.
OWN_CODES = frozenset({"slip_current", "workshop_certified", "bank_verified",
                       "first_training_of_year", "consecutive_months", "pay_total", "rent_months", "poor_share",
                       "costs_evidenced"})
REGISTRY_CODES = frozenset({"registered", "category_eligible"})
AGE_CODES = frozenset({"age_within_bounds"})


@dataclass(frozen=True)
class Viewer:
    role: str
    counties: frozenset[str]


def sees_everything(viewer: Viewer, registry_counties: frozenset[str] | None) -> bool:
    """``registry_counties``: the counties whose registry has the worker (empty: none; None: unknown)."""
    return viewer.role in FULL_ROLES and registry_counties is not None and registry_counties <= viewer.counties


_EXACT_AGE = re.compile(r"\bage \d+(?:, )?")


def without_exact_ages(explanation: dict[str, Any]) -> dict[str, Any]:
    """The explanation whole but for the worker's exact age in each age check ("age 45, sex M" → "sex M"): ages on
    the first of successive months give away the birth month, and with the birth year and the masked ID's last four
    digits that leaves an ID number a handful of candidates (issue 23.7). Whether the age is within bounds stays."""
    view = dict(explanation)
    checks = explanation.get("checks")
    if isinstance(checks, list):
        view["checks"] = [{**c, "detail": _EXACT_AGE.sub("", c["detail"]).strip()}
                          if isinstance(c, dict) and _kind(c) == "age" and isinstance(c.get("detail"), str) else c
                          for c in checks]
    arithmetic = explanation.get("arithmetic")
    if isinstance(arithmetic, list):  # "not eligible: age on 2024-03-01 within 16–60: age 65, sex M"
        view["arithmetic"] = [_EXACT_AGE.sub("", a) if isinstance(a, str) else a for a in arithmetic]
    return view


def disclose(explanation: dict[str, Any], viewer: Viewer, registry_counties: frozenset[str] | None) -> dict[str, Any]:
    if sees_everything(viewer, registry_counties):
        return without_exact_ages(explanation)
    return outcome_view(explanation, sorted(registry_counties or ()) if viewer.role in FULL_ROLES else None)


def _kind(check: dict[str, Any]) -> str:
    code, name = check.get("code"), str(check.get("check", ""))
    if isinstance(code, str):
        return ("own" if code in OWN_CODES else "registry" if code in REGISTRY_CODES
                else "age" if code in AGE_CODES else "unknown")
    if any(p.search(name) for p in _OWN):
        return "own"
    if any(p.search(name) for p in _REGISTRY):
        return "registry"
    return "age" if _AGE.search(name) else "unknown"


def outcome_checks(checks: Iterable[dict[str, Any]], registry_counties: list[str] | None = None
                   ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    registered: dict[str, Any] | None = None
    for c in checks:
        kind, passed = _kind(c), bool(c.get("passed"))
        if kind == "own":
            out.append({"check": str(c.get("check", "")), "passed": passed, "detail": str(c.get("detail", ""))})
        elif kind == "registry":
            if registered is None:
                registered = {"check": REGISTERED, "passed": passed, "detail": ""}
                out.append(registered)
            registered["passed"] = registered["passed"] and passed
        elif kind == "age":
            out.append({"check": AGE, "passed": passed, "detail": "yes" if passed else "no"})
        else:
            out.append({"check": str(c.get("check", "")), "passed": passed, "detail": ""})
    if registered is not None:
        registered["detail"] = "yes" if registered["passed"] else NOT_REGISTERED
        if registered["passed"] and registry_counties:
            registered["detail"] = f"yes (registry of county {', '.join(registry_counties)})"
    return out


def outcome_view(explanation: dict[str, Any], registry_counties: list[str] | None = None) -> dict[str, Any]:
    """The explanation without registry details (``registry_counties`` named for officials of another county)."""
    view = {k: v for k, v in explanation.items() if k in SAFE_KEYS}
    inputs = view.get("inputs")
    if isinstance(inputs, dict) and isinstance(inputs.get("worker_month_uncapped_fen"), dict):
        # the worker's other slips may be another employer's payroll: they do not reach this reader
        view["inputs"] = {k: v for k, v in inputs.items() if k != "worker_month_uncapped_fen"}
    checks = explanation.get("checks")
    if isinstance(checks, list):
        view["checks"] = outcome_checks([c for c in checks if isinstance(c, dict)], registry_counties)
        failed = [c["check"] for c in view["checks"] if not c["passed"]]
        if failed:
            view["arithmetic"] = ["not eligible: " + "; ".join(failed)]
        elif isinstance(explanation.get("arithmetic"), list):
            view["arithmetic"] = explanation["arithmetic"]
    elif isinstance(explanation.get("arithmetic"), list):
        view["arithmetic"] = explanation["arithmetic"]  # no checks, so nothing about eligibility to hide
    view["disclosure"] = OUTCOME_NOTE
    return view
