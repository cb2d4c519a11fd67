"""A guard in front of the API for input no database can store, whatever the endpoint.

Every app's handler validates its own input, but three kinds of value break the database driver
before any rule runs, and would surface as a 500: NUL characters (PostgreSQL refuses them in
text), integers beyond 64 bits (SQLite and PostgreSQL overflow) and non-finite numbers (NaN,
Infinity). This middleware answers them in the one error shape before the API sees them:

- in the URL path: 404 (no object can have such an id or slug);
- in the query string or the JSON body: 422 naming the parameter or the field path;
- a body larger than `DATA_UPLOAD_MAX_MEMORY_SIZE`: 413; a JSON body that is not an object: 422
  (every operation takes an object, and Ninja would read a list as "no fields given").

Malformed requests answer 400 here too, whatever the content type claims (Ninja reads any body
that is not a form as JSON): a body that is not JSON, JSON nested deeper than
`json_input.MAX_DEPTH` (which would end in a `RecursionError`), more query parameters than
`DATA_UPLOAD_MAX_NUMBER_FIELDS`. Forms and uploads that cannot be read (multipart without a
boundary, an oversized part header, too many fields) are answered by the API's error handlers
(`api_errors`). Messages are translated: the middleware runs after `LocaleMiddleware`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from atendo.core import json_input
from atendo.core.clean import MAX_ID

API_PREFIX = "/api/"
_DIGITS = re.compile(r"^[+-]?\d+$")


def error(status: int, code: str, message: str, fields: Sequence[tuple[str, str]] = ()) -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "code": code,
                "message": message,
                "fields": [{"path": p, "message": m} for p, m in fields],
            }
        },
        status=status,
    )


def _bad_scalar(value: Any, *, digits_are_numbers: bool = False) -> str | None:
    """Why `value` cannot be stored, or None. In URLs every value is text, so a run of digits
    (`digits_are_numbers`) is judged as the number it will become."""
    if isinstance(value, str):
        if "\x00" in value:
            return _("Text cannot contain NUL (\\u0000) characters.")
        if digits_are_numbers and len(value) < 4000 and _DIGITS.match(value) and abs(int(value)) > MAX_ID:
            return _("This number is out of range.")
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > MAX_ID:
        return _("This number is out of range.")
    if isinstance(value, float) and not math.isfinite(value):
        return _("Numbers must be finite.")
    return None


def _body_problems(data: Any) -> list[tuple[str, str]]:
    """Every scalar that cannot be stored, with its path; raises `json_input.TooDeep`."""
    problems = []
    for path, value in json_input.scalars(data):
        reason = _bad_scalar(value)
        if reason:
            problems.append((path, reason))
    return problems


def _too_deep(exc: json_input.TooDeep) -> JsonResponse:
    message = _("The request body nests deeper than {depth} levels.").format(depth=json_input.MAX_DEPTH)
    return error(400, "bad_request", message, [(exc.path, message)] if exc.path else [])


# Bodies Ninja does not read as JSON: forms and uploads (checked by the API's error handlers).
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class ApiInputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        refusal = self.check(request)
        if refusal is not None:
            return refusal
        response = self.get_response(request)
        return self.shape(request, response)

    @staticmethod
    def shape(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Errors answered outside the API's handlers (an unknown URL, a method the path does not
        have, Django's CSRF refusal) get the one error shape too."""
        if response.status_code < 400 or "json" in (response.get("Content-Type") or ""):
            return response
        status = response.status_code
        if status == 404:
            return error(404, "not_found", _("Not found."))
        if status == 405:
            shaped = error(
                405, "method_not_allowed", _("{method} is not allowed here.").format(method=request.method)
            )
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        if status == 403:
            return error(
                403, "forbidden", _("You do not have permission to do this (or the CSRF check failed).")
            )
        if status == 400:
            return error(400, "bad_request", _("The request is malformed and could not be read."))
        if status == 413:
            return error(413, "too_large", _("The request body is too large."))
        if status >= 500:
            return error(status, "server_error", _("Something went wrong on our side; it was logged."))
        return error(status, "error", _("The request could not be handled."))

    def check(self, request: HttpRequest) -> HttpResponse | None:
        for segment in request.path.split("/"):
            if _bad_scalar(segment, digits_are_numbers=True):
                return error(404, "not_found", _("Not found."))
        problems = []
        try:
            parameters = request.GET.lists()
        except TooManyFieldsSent:
            return error(400, "bad_request", _("The query string has too many parameters."))
        for key, values in parameters:
            if "\x00" in key:
                problems.append(
                    (key.replace("\x00", ""), _("Parameter names cannot contain NUL characters."))
                )
            for value in values:
                reason = _bad_scalar(value, digits_are_numbers=True)
                if reason:
                    problems.append((key, reason))
        if problems:
            return error(422, "validation_error", f"{problems[0][0]}: {problems[0][1]}", problems)
        content_type = (request.content_type or "").lower()
        if request.method in {"POST", "PUT", "PATCH"} and content_type not in _FORM_TYPES:
            try:
                body = request.body
            except RequestDataTooBig:
                return error(413, "too_large", _("The request body is too large."))
            if not body:
                return None
            try:
                data = json_input.decode(body)
                problems = _body_problems(data)
            except json_input.TooDeep as exc:
                return _too_deep(exc)
            except (ValueError, UnicodeDecodeError):
                return error(400, "bad_request", _("The request body is not valid JSON."))
            if not isinstance(data, dict):
                # Every Atendo operation takes an object; Ninja would read a list as "no fields given".
                return error(
                    422,
                    "validation_error",
                    _("The request body must be a JSON object."),
                    [("", _("Expected a JSON object."))],
                )
            if problems:
                path, reason = problems[0]
                message = f"{path}: {reason}" if path else reason
                return error(422, "validation_error", message, problems)
        return None
