"""Small building blocks shared by every app's API schemas.

- `Id`: a database id in a path or body (1 … `clean.MAX_ID`), so an out-of-range number is a 422, not an
  overflow inside the database driver.
- `InputSchema`: the base of every request body schema; an unknown key is refused.
- `ErrorOut`: the one error shape, documented on every operation (see `api_errors.install`).
"""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict

from atendo.core.clean import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class InputSchema(Schema):
    """Base of every request body schema (and of the objects nested in one). An unknown key answers
    422 naming it, instead of being ignored: a misspelt key would otherwise change nothing while
    the write still succeeds (and a session's version still goes up). The OpenAPI schema shows it
    as `additionalProperties: false`."""

    model_config = ConfigDict(extra="forbid")


class FieldErrorOut(Schema):
    path: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    fields: list[FieldErrorOut]


class ErrorOut(Schema):
    error: ErrorBody
