"""Turns every failure into the one error shape:
`{"error": {"code", "message", "fields": [{"path", "message"}]}}`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from atendo.core.api_schemas import ErrorOut
from atendo.core.errors import DomainError, FieldError

logger = logging.getLogger("atendo.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "throttled",
}


def loc_to_path(loc: Sequence[Any]) -> str:
    """("body", "payload", "fields", "post", "follow_up", 2, "date") -> "fields.post.follow_up[2].date"."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:]  # the location, then the name of the handler's schema parameter
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form", "file"}:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _humanize(error: dict[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return _("Unknown field; this operation does not take it.")
    msg = str(error.get("msg", "Invalid value."))
    # pydantic prefixes custom errors with "Value error, "; the rest is already plain English.
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg[:1].upper() + msg[1:] if msg else "Invalid value."


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: Sequence[FieldError] = (),
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {
        "code": code,
        "message": message,
        "fields": [{"path": f.path, "message": f.message} for f in fields],
    }
    body.update(extra)
    return api.create_response(request, {"error": body}, status=status)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = list(exc.errors)
        if any(
            e.get("msg") == "Cannot parse request body" or e.get("type") == "json_invalid" for e in errors
        ):
            return error_response(api, request, 400, "bad_request", "The request body is not valid JSON.")
        fields = [FieldError(loc_to_path(e.get("loc", ())), _humanize(e)) for e in errors]
        message = fields[0].message if len(fields) == 1 else f"{len(fields)} fields are invalid."
        if len(fields) == 1 and fields[0].path:
            message = f"{fields[0].path}: {fields[0].message}"
        return error_response(api, request, 422, "validation_error", message, fields)

    @api.exception_handler(DjangoValidationError)
    def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields = []
        if hasattr(exc, "error_dict"):
            for key, errs in exc.message_dict.items():
                fields += [FieldError(key, m) for m in errs]
        else:
            fields = [FieldError("", m) for m in exc.messages]
        return error_response(
            api, request, 422, "validation_error", fields[0].message if fields else "Invalid.", fields
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            api,
            request,
            401,
            "unauthorized",
            "Authentication required: send 'Authorization: Bearer <token>' or log in.",
        )

    @api.exception_handler(AuthorizationError)
    def _unauthorized(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return error_response(api, request, 403, "forbidden", "You do not have permission to do this.")

    @api.exception_handler(PermissionDenied)
    def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(
            api, request, 403, "forbidden", str(exc) or "You do not have permission to do this."
        )

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        message = str(exc)
        if status == 400 and message.startswith("Cannot parse request body"):
            message = "The request body is not valid JSON."
        return error_response(api, request, status, _CODES.get(status, "error"), message)

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error_response(api, request, 413, "too_large", _("The request body is too large."))

    # A form or upload Django cannot read: multipart without a boundary or with a part header over
    # its limit (MultiPartParserError), more fields or files than DATA_UPLOAD_MAX_NUMBER_FIELDS /
    # _FILES (SuspiciousOperation), a body cut short (UnreadablePostError). The client's doing: 400.
    @api.exception_handler(MultiPartParserError)
    def _unreadable_form(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return error_response(
            api,
            request,
            400,
            "bad_request",
            _("The form data could not be read: {reason}").format(reason=exc),
        )

    @api.exception_handler(SuspiciousOperation)
    def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        logger.warning("Refused %s %s: %s", request.method, request.path, exc)
        return error_response(
            api, request, 400, "bad_request", _("The request is malformed and could not be read.")
        )

    @api.exception_handler(BadRequest)
    def _bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
        return error_response(
            api, request, 400, "bad_request", _("The request is malformed and could not be read.")
        )

    @api.exception_handler(UnreadablePostError)
    def _cut_short(request: HttpRequest, exc: UnreadablePostError) -> HttpResponse:
        return error_response(api, request, 400, "bad_request", _("The request body could not be read."))

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", "Not found.")

    @api.exception_handler(DataError)
    def _data(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A value the database cannot store (too long, out of range) that no schema rule caught:
        # the client's input, so a 422 rather than a 500; logged so the missing rule gets added.
        logger.warning("Database refused a value in %s %s", request.method, request.path, exc_info=True)
        return error_response(
            api, request, 422, "validation_error", "A value is too long or out of range for this field."
        )

    @api.exception_handler(OverflowError)
    def _overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        logger.warning("Overflow in %s %s", request.method, request.path, exc_info=True)
        return error_response(api, request, 422, "validation_error", "A number is out of range.")

    document_errors(api)

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unexpected error in %s %s", request.method, request.path)
        return error_response(
            api, request, 500, "server_error", "Something went wrong on our side; it was logged."
        )


# Statuses every operation may answer with, documented in the OpenAPI schema with the error shape
# (so clients and the schemathesis suite know them). 405 and 413 are answered by the input guard.
DOCUMENTED_ERRORS = {
    400: "Malformed request (e.g. the body is not JSON).",
    401: "Not authenticated.",
    403: "Authenticated, but without the permission this needs.",
    404: "Not found, or not in a workspace you belong to.",
    405: "The path does not accept this method.",
    409: "Conflict with the current state (stale version, last owner, in use…).",
    413: "The request body is too large.",
    415: "The uploaded content's type is not accepted here.",
    422: "Invalid input; `fields` names each offending field path.",
}


def document_errors(api: NinjaAPI) -> None:
    """Add the error responses, with the one error shape, to every operation of the schema."""
    original = api.get_openapi_schema

    def get_openapi_schema(*args: Any, **kwargs: Any) -> Any:
        schema = original(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in error_schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components.setdefault("Error", error_schema)
        ref = {"$ref": "#/components/schemas/Error"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                for status, description in DOCUMENTED_ERRORS.items():
                    if status not in responses and str(status) not in responses:
                        responses[status] = {
                            "description": description,
                            "content": {"application/json": {"schema": ref}},
                        }
        return schema

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]
