"""The public form page `/f/<token>/`, phone first, in the language the form was sent in.

It shows only the fields the request covers, never a stored value (a link may be forwarded), and
sends the answers through `services` (the field engine's paths and messages, shown at each field).
A consent shows its full text, a signature pad (signature_pad, posted as a PNG data URL), the full
name and a box to tick. Submitted, withdrawn, expired and unknown links get a clear page of their
own. Rate-limited per address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from atendo.accounts.forms import client_ip
from atendo.core.errors import DomainError, ValidationFailed
from atendo.fields.forms import FieldValuesForm
from atendo.intake import services, throttle
from atendo.intake.models import FormKind, FormRequest


def _public(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # the token never leaves the site; POSTs keep their Origin
    return response


def _closed(request: HttpRequest, exc: services.FormClosed, form_request: FormRequest | None) -> HttpResponse:
    context = {"state": exc.state, "message": exc.message}
    if form_request is not None:
        context.update(practice=form_request.workspace.name, title=form_request.title)
    return _public(render(request, "intake/closed.html", context, status=exc.status))


def _lookup_closed(token: str) -> FormRequest | None:
    from atendo.intake.selectors import request_by_token

    return request_by_token(token)


@require_http_methods(["GET", "POST"])
def form(request: HttpRequest, token: str) -> HttpResponse:
    ip = client_ip(request) or "unknown"
    try:
        throttle.hit("open_ip", ip)
        if request.method == "POST":
            throttle.hit("submit_ip", ip)
    except throttle.Throttled:
        return _public(render(request, "intake/closed.html", {"state": "throttled"}, status=429))
    try:
        form_request = services.open_request(token)
    except services.FormClosed as exc:
        found = _lookup_closed(token) if exc.state != "missing" else None
        if found is not None:
            with translation.override(found.language):
                return _closed(request, exc, found)
        return _closed(request, exc, None)
    language = _language(request, form_request)
    with translation.override(language):
        request.LANGUAGE_CODE = language
        if form_request.kind == FormKind.CONSENT:
            return _consent(request, token, form_request)
        return _fields(request, token, form_request)


def _language(request: HttpRequest, form_request: FormRequest) -> str:
    """The form's language, unless the visitor chose another with the page's language switcher."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen and chosen in {code for code, _name in settings.LANGUAGES}:
        return chosen
    return form_request.language


def _base(form_request: FormRequest) -> dict[str, Any]:
    return {
        "practice": form_request.workspace.name,
        "title": form_request.title,
        "kind": form_request.kind,
        "expires_at": form_request.expires_at,
        "tz": form_request.workspace.tz,
    }


def _fields(request: HttpRequest, token: str, form_request: FormRequest) -> HttpResponse:
    try:
        member = services.acting_member(form_request)
    except services.FormClosed as exc:
        return _closed(request, exc, form_request)
    prefix = "fields" if form_request.kind == FormKind.CLIENT_FIELDS else "fields.pre"
    values_form = FieldValuesForm(
        member=member, definitions=services.covered_definitions(form_request), prefix=prefix, values={}
    )
    status = 200
    if request.method == "POST":
        values = values_form.parse(request.POST, request.FILES)
        try:
            values_form.raise_upload_errors()
            services.form_submit(
                token=token,
                values=values,
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except ValidationFailed as exc:
            values_form.add_errors(exc)
            status = 422
        except services.FormClosed as exc:
            return _closed(request, exc, form_request)
        except DomainError as exc:
            # e.g. the session changed meanwhile, or its record was signed: nothing was saved.
            values_form.add_errors(DomainError(message=exc.message))
            status = 409
        else:
            return _public(render(request, "intake/done.html", _base(form_request)))
    context = {**_base(form_request), "form": values_form}
    return _public(render(request, "intake/form.html", context, status=status))


def _consent(request: HttpRequest, token: str, form_request: FormRequest) -> HttpResponse:
    document = form_request.consent_document
    errors: dict[str, str] = {}
    name = ""
    agree = False
    status = 200
    if request.method == "POST":
        name = request.POST.get("name", "")[:300]
        agree = request.POST.get("agree") in ("on", "true", "1")
        try:
            services.consent_sign(
                token=token,
                signature=request.POST.get("signature", ""),
                name=name,
                agree=agree,
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except ValidationFailed as exc:
            errors = {e.path: e.message for e in exc.fields}
            status = 422
        except services.FormClosed as exc:
            return _closed(request, exc, form_request)
        else:
            return _public(render(request, "intake/done.html", {**_base(form_request), "signed": True}))
    context = {
        **_base(form_request),
        "document": document,
        "errors": errors,
        "name": name,
        "agree": agree,
    }
    return _public(render(request, "intake/consent.html", context, status=status))
