"""The one error vocabulary of Atendo.

Services raise these; the API turns them into
`{"error": {"code", "message", "fields": [{"path", "message"}]}}` with the right status, and the
pages show the messages next to the fields. Nothing else should decide an error's status code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str


@dataclass
class DomainError(Exception):
    """Base of every expected failure. `status` is the HTTP status the API answers with."""

    message: str
    code: str = "invalid"
    status: int = 400
    fields: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "fields": [{"path": f.path, "message": f.message} for f in self.fields],
        }
        body.update(self.extra)
        return {"error": body}


class ValidationFailed(DomainError):
    """Input that breaks a rule. Always names the offending field paths."""

    def __init__(self, fields: list[FieldError], message: str | None = None, code: str = "validation_error"):
        if not message:
            message = fields[0].message if len(fields) == 1 else f"{len(fields)} fields are invalid."
        super().__init__(message=message, code=code, status=422, fields=list(fields))

    @classmethod
    def single(cls, path: str, message: str, code: str = "validation_error") -> ValidationFailed:
        return cls([FieldError(path, message)], code=code)


class NotFound(DomainError):
    """Missing, or outside the reader's workspace (we never reveal which)."""

    def __init__(self, message: str = "Not found.", code: str = "not_found"):
        super().__init__(message=message, code=code, status=404)


class Forbidden(DomainError):
    """A member of the workspace who lacks the permission for this action."""

    def __init__(self, message: str = "You do not have permission to do this.", code: str = "forbidden"):
        super().__init__(message=message, code=code, status=403)


class Conflict(DomainError):
    """The state changed under the caller (stale version, double booking, gapless number race)."""

    def __init__(self, message: str, code: str = "conflict", **extra: Any):
        super().__init__(message=message, code=code, status=409, extra=extra)
