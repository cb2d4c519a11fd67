"""Small building blocks shared by every app's API schemas.

- `Id`: a database id in a path or body (1 … 2**63-1), so an out-of-range number is a 422, not an
  overflow inside the database driver.
- `ErrorOut`: the one error shape, documented on every operation (see `api_errors.install`).
"""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema

MAX_ID = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class FieldErrorOut(Schema):
    path: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    fields: list[FieldErrorOut]


class ErrorOut(Schema):
    error: ErrorBody
