"""Tenant isolation over every workspace-scoped API operation (from the OpenAPI schema) and every
page under /w/<slug>/ (from the URL resolver).

New endpoints join automatically. If a new path parameter appears (`<thing>_id`), add one line to
`ID_FACTORIES` below: how to make such an object in a workspace, returning its id.

Two properties, for every (method, path):
1. An outsider (a member of another workspace, with their token or their browser session) gets
   404 on this workspace, before any input is read. (A page that only takes POST answers a GET
   with 405, to everyone alike, before anything else: the method alone reveals nothing.)
2. Ids of this workspace used under another workspace's slug answer exactly like ids that do not
   exist: the id reveals nothing (404, or 422 for a write whose empty body is already invalid,
   since the body is validated before any lookup).

The objects are built with `tests.factories`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient

from atendo.api import api as ninja_api
from atendo.booking.tests.canary import booking_request
from atendo.core.api_schemas import MAX_ID
from atendo.intake.tests.canary import consent_document_id, form_request_id
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership, Role
from tests.factories import (
    AttachmentFactory,
    ClientFactory,
    EvaluationFactory,
    FieldDefinitionFactory,
    InvoiceFactory,
    PaymentFactory,
    SessionFactory,
    TherapyTypeFactory,
)

pytestmark = pytest.mark.django_db

MISSING_ID = MAX_ID - 7


def _client(owner: Membership) -> int:
    return ClientFactory(workspace=owner.workspace, name="Isolated Client").pk


def _new_session(owner: Membership) -> Session:
    client = ClientFactory(workspace=owner.workspace, name="Isolated Client")
    return SessionFactory(client=client, name="Isolated session", days_ago=-1)


def _session(owner: Membership) -> int:
    return _new_session(owner).pk


def _payment(owner: Membership) -> int:
    return PaymentFactory(session=_new_session(owner), amount=Decimal("100.00")).pk


def _invoice(owner: Membership) -> int:
    return InvoiceFactory(sessions=[_new_session(owner)]).pk


def _attachment(owner: Membership) -> int:
    return AttachmentFactory(session=_new_session(owner), name="x.txt").pk


def _evaluation(owner: Membership) -> int:
    return EvaluationFactory(client=ClientFactory(workspace=owner.workspace, name="Isolated Client")).pk


def _field(owner: Membership) -> int:
    return FieldDefinitionFactory(workspace=owner.workspace, scope="client", label="Isolated").pk


def _therapy_type(owner: Membership) -> int:
    return TherapyTypeFactory(workspace=owner.workspace).pk


def _note_template(owner: Membership) -> int:
    from atendo.fields.models import NoteTemplate

    fields = [{"key": "isolated", "label": "Isolated", "type": "textarea", "phase": "post"}]
    return NoteTemplate.objects.get_or_create(
        workspace=owner.workspace, name="Isolated", defaults={"fields": fields}
    )[0].pk


def _feed(owner: Membership) -> int:
    from atendo.feeds.services import feed_create

    return feed_create(member=owner)[0].pk


def _token(owner: Membership) -> int:
    from atendo.workspaces.tokens import api_token_create

    return api_token_create(member=owner, name="isolation")[0].pk


def _export(owner: Membership) -> int:
    from atendo.exports.services import export_request

    client = ClientFactory(workspace=owner.workspace, name="Isolated Client")
    return export_request(member=owner, kind="client", format="json", client_id=client.pk).pk


# One line per kind of object a path can name: make one in the owner's workspace, return its id.
ID_FACTORIES: dict[str, Callable[[Membership], int]] = {
    "member_id": lambda owner: owner.pk,
    "feed_id": _feed,
    "role_id": lambda owner: Role.objects.for_workspace(owner.workspace_id).get(name="Therapist").pk,
    "token_id": _token,
    "client_id": _client,
    "session_id": _session,
    "payment_id": _payment,
    "invoice_id": _invoice,
    "attachment_id": _attachment,
    "evaluation_id": _evaluation,
    "field_id": _field,
    "therapy_type_id": _therapy_type,
    "note_template_id": _note_template,
    "export_id": _export,
    "form_request_id": form_request_id,
    "consent_document_id": consent_document_id,
    "booking_id": booking_request,
}
# Path parameters that are not ids: a valid value.
FIXED_VALUES = {"phase": "pre"}

_PARAM = re.compile(r"{(\w+)}")
# Public doors that answer every visitor alike by design (no member, no token), so an outsider is
# only a visitor there; their apps' tests check that the answer reveals nothing.
PUBLIC_DOORS = {"/api/v1/public/portal/{workspace_slug}/link"}


@functools.cache
def _openapi() -> dict:
    """The API's schema, built once for the module (each build is ~50 ms)."""
    return ninja_api.get_openapi_schema(path_prefix="/api/v1/")


def _operations() -> list[tuple[str, str]]:
    schema = _openapi()
    found = []
    for path, operations in schema["paths"].items():
        if "{workspace_slug}" not in path or path in PUBLIC_DOORS:
            continue
        for method in operations:
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method, path))
    return sorted(found)


OPERATIONS = _operations()
WITH_IDS = [(m, p) for m, p in OPERATIONS if set(_PARAM.findall(p)) - {"workspace_slug", *FIXED_VALUES}]


def test_the_suite_covers_the_api():
    paths = {p for _m, p in OPERATIONS}
    assert "/api/v1/workspaces/{workspace_slug}/members/{member_id}" in paths
    assert len(OPERATIONS) >= 10


def _fill(path: str, slug: str, ids: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "workspace_slug":
            return slug
        if name in FIXED_VALUES:
            return FIXED_VALUES[name]
        if name not in ids:
            pytest.fail(
                f"No factory for path parameter `{name}`: add one line to ID_FACTORIES in "
                "tests/test_tenant_isolation.py."
            )
        return str(ids[name])

    return _PARAM.sub(value, path)


def _call(http: HttpClient, method: str, url: str) -> Any:
    if method in {"post", "put", "patch"}:
        return getattr(http, method)(url, {}, content_type="application/json")
    return getattr(http, method)(url)


def _ids_in(owner: Membership, path: str) -> dict[str, Any]:
    names = set(_PARAM.findall(path)) - {"workspace_slug", *FIXED_VALUES}
    return {name: ID_FACTORIES[name](owner) if name in ID_FACTORIES else None for name in names}


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_outsider_token_gets_404(method, path, api, owner, outsider):
    ids = {k: v for k, v in _ids_in(owner, path).items() if v is not None}
    url = _fill(path, "serena", ids)
    response = _call(api(outsider, "serena").http, method, url)
    assert response.status_code == 404, (method, url, response.content[:300])
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_outsider_session_gets_404(method, path, page_client, owner, outsider):
    ids = {k: v for k, v in _ids_in(owner, path).items() if v is not None}
    url = _fill(path, "serena", ids)
    response = _call(page_client(outsider), method, url)
    assert response.status_code == 404, (method, url, response.content[:300])


def _summary(response: Any) -> tuple[int, str, list[str]]:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return response.status_code, "<not json>", []
    return (
        response.status_code,
        error.get("code", ""),
        sorted(f.get("path", "") for f in error.get("fields", [])),
    )


@pytest.mark.parametrize(("method", "path"), WITH_IDS, ids=[f"{m.upper()} {p}" for m, p in WITH_IDS])
def test_ids_from_another_workspace_reveal_nothing(method, path, api, owner, outsider):
    foreign_ids = _ids_in(owner, path)  # made in "serena"
    http = api(outsider).http  # the owner of "outra", acting in "outra"
    with_foreign = _call(http, method, _fill(path, "outra", foreign_ids))
    with_missing = _call(http, method, _fill(path, "outra", dict.fromkeys(foreign_ids, MISSING_ID)))
    assert _summary(with_foreign) == _summary(with_missing), (method, path, with_foreign.content[:300])
    expected = 422 if method in {"post", "put", "patch"} and _empty_body_is_invalid(method, path) else 404
    assert with_foreign.status_code == expected, (method, path, with_foreign.content[:300])


def _empty_body_is_invalid(method: str, path: str) -> bool:
    """Whether the operation's JSON body has required properties (so `{}` is refused first). An
    upload (multipart) reads its file only after finding its record."""
    schema = _openapi()
    media = (
        (schema["paths"][path][method].get("requestBody") or {}).get("content", {}).get("application/json")
    )
    if media is None:
        return False
    ref = media["schema"].get("$ref", "")
    definition = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else media["schema"]
    return bool(definition.get("required"))


# --- Pages under /w/<workspace_slug>/ -----------------------------------------------------------

# Page URL parameters that are not ids, and page names for ids that differ from the API's.
PAGE_FIXED_VALUES = {"scope": "client", "phase": "pre", "action": "issue"}
PAGE_ID_ALIASES = {"membership_id": "member_id"}
_PAGE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _page_routes() -> list[str]:
    from django.urls import URLResolver, get_resolver

    def walk(patterns: Any, prefix: str = "") -> Any:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return sorted(route for route in walk(get_resolver().url_patterns) if route.startswith("w/<"))


PAGE_ROUTES = _page_routes()


def _fill_page(route: str, slug: str, owner: Membership | None, missing: bool = False) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "workspace_slug":
            return slug
        if name in PAGE_FIXED_VALUES:
            return PAGE_FIXED_VALUES[name]
        factory_name = PAGE_ID_ALIASES.get(name, name)
        if factory_name not in ID_FACTORIES:
            pytest.fail(f"No factory for page parameter `{name}`: add it to ID_FACTORIES or PAGE_ID_ALIASES.")
        if missing or owner is None:
            return str(MISSING_ID)
        return str(ID_FACTORIES[factory_name](owner))

    return "/" + _PAGE_PARAM.sub(value, route)


def test_the_page_suite_covers_the_pages():
    assert "w/<slug:workspace_slug>/settings/members/" in PAGE_ROUTES


def _post_only(route: str) -> bool:
    """Whether the page takes POST alone: an anonymous GET is refused for its method (405) before
    any log-in check, where any other page sends the visitor to log in."""
    return HttpClient().get(_fill_page(route, "serena", None)).status_code == 405


@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_outsider_gets_404_on_every_page(route, page_client, owner, outsider):
    url = _fill_page(route, "serena", owner)
    http = page_client(outsider)
    get_answer = 405 if _post_only(route) else 404
    assert http.get(url).status_code == get_answer, url
    assert http.post(url).status_code == 404, url


PAGE_ROUTES_WITH_IDS = [
    r for r in PAGE_ROUTES if set(_PAGE_PARAM.findall(r)) - {"workspace_slug", *PAGE_FIXED_VALUES}
]


@pytest.mark.parametrize("route", PAGE_ROUTES_WITH_IDS)
def test_page_ids_from_another_workspace_reveal_nothing(route, page_client, owner, outsider):
    http = page_client(outsider)  # the owner of "outra", in "outra"
    foreign = http.get(_fill_page(route, "outra", owner))
    missing = http.get(_fill_page(route, "outra", owner, missing=True))
    assert foreign.status_code == missing.status_code, (route, foreign.status_code, missing.status_code)
    assert foreign.status_code == (405 if _post_only(route) else 404), route
    foreign_post = http.post(_fill_page(route, "outra", owner))
    missing_post = http.post(_fill_page(route, "outra", owner, missing=True))
    assert foreign_post.status_code == missing_post.status_code == 404, route
