"""Domain error tree. Each error carries what a caller needs to fix the request.

    XiaofeiError
     ├── InvalidInput           a field has a value the rules refuse (HTTP 422)
     ├── NotFound               no such thing in the caller's reach (HTTP 404)
     ├── Conflict               the thing exists or changed meanwhile (HTTP 409)
     │    └── AlreadyExists
     └── Forbidden              the caller may not do this (HTTP 403)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldProblem:
    """One reason one field (or CSV cell) was refused."""

    field: str
    reason: str
    row: int | None = None


class XiaofeiError(Exception):
    """Base of every error the domain or application raises on purpose."""

    title = "Request refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(init=False)
class InvalidInput(XiaofeiError):
    title = "Invalid input"
    problems: list[FieldProblem] = field(default_factory=list)

    def __init__(self, problems: list[FieldProblem] | FieldProblem, detail: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, FieldProblem) else list(problems)
        if detail is None:
            first = self.problems[0] if self.problems else None
            detail = f"{first.field}: {first.reason}" if first else "invalid input"
            if len(self.problems) > 1:
                detail += f" (and {len(self.problems) - 1} more)"
        super().__init__(detail)


class NotFound(XiaofeiError):
    title = "Not found"


class Conflict(XiaofeiError):
    title = "Conflict"


class AlreadyExists(Conflict):
    title = "Already exists"


class Forbidden(XiaofeiError):
    title = "Forbidden"


def invalid(field_name: str, reason: str, row: int | None = None) -> InvalidInput:
    """Shorthand for the common one-field refusal."""
    return InvalidInput(FieldProblem(field_name, reason, row))
