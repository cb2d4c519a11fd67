"""Keyset pagination: every row once, in order, across pages; anything but our cursor is a 422 at `cursor`."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.core import signing
from django.utils import timezone

from atendo.audit.models import AuditEvent
from atendo.clients.models import Client
from atendo.core.errors import ValidationFailed
from atendo.core.pagination import MAX_PAGE, Keyset, check_limit, keyset_page


def _all_pages(qs, order: Keyset, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        rows, cursor = keyset_page(qs, order=order, cursor=cursor, limit=limit)
        seen += [row.pk for row in rows]
        if cursor is None:
            return seen


@pytest.fixture
def clients(workspace):
    # Repeated names: ties are broken by id, so no row is skipped or repeated at a page edge.
    names = ["Bia", "Ana", "Caio", "Ana", "Bia", "Ana", "Dora"]
    return [Client.objects.create(workspace=workspace, name=name) for name in names]


def test_pages_by_a_text_field_visit_every_row_once_in_order(clients, workspace):
    qs = Client.objects.for_workspace(workspace)
    expected = [c.pk for c in sorted(clients, key=lambda c: (c.name, c.pk))]
    for limit in (1, 2, 3, 7, 8):
        assert _all_pages(qs, Keyset("name"), limit) == expected


def test_descending_pages_reverse_the_order_ties_included(clients, workspace):
    qs = Client.objects.for_workspace(workspace)
    expected = [c.pk for c in sorted(clients, key=lambda c: (c.name, c.pk), reverse=True)]
    assert _all_pages(qs, Keyset("name", descending=True), 2) == expected


def test_newest_first_by_id_is_the_default(clients, workspace):
    qs = Client.objects.for_workspace(workspace)
    assert _all_pages(qs, Keyset("id", descending=True), 3) == sorted((c.pk for c in clients), reverse=True)
    rows, _next = keyset_page(qs, cursor=None, limit=2)
    assert [r.pk for r in rows] == sorted((c.pk for c in clients), reverse=True)[:2]


def test_pages_by_a_datetime_keep_microseconds_and_ties(workspace):
    at = timezone.now().replace(microsecond=123456)
    for i in range(6):  # pairs share a moment, a microsecond apart from the next (events never change)
        AuditEvent.objects.create(workspace=workspace, action="x", at=at + dt.timedelta(microseconds=i // 2))
    events = AuditEvent.objects.filter(workspace=workspace)
    expected = [e.pk for e in sorted(events, key=lambda e: (e.at, e.pk), reverse=True)]
    assert _all_pages(events, Keyset("at", descending=True), 2) == expected
    assert _all_pages(events, Keyset("at", descending=True), 3) == expected


def test_the_last_page_has_no_next_cursor(clients, workspace):
    rows, cursor = keyset_page(Client.objects.for_workspace(workspace), cursor=None, limit=len(clients))
    assert len(rows) == len(clients) and cursor is None


def test_dict_rows_are_cut_like_model_rows(clients, workspace):
    order = Keyset("name")
    qs = Client.objects.for_workspace(workspace)
    window = order.window(qs, None, 2)
    _rows, model_cursor = order.cut(list(window), 2)
    _dicts, dict_cursor = order.cut(list(window.values("id", "name")), 2)
    assert model_cursor == dict_cursor


def _error_path(fn) -> str:
    with pytest.raises(ValidationFailed) as info:
        fn()
    return info.value.fields[0].path


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "\x00\x01",
        base64.urlsafe_b64encode(json.dumps(["name", "Ana", 1]).encode()).decode(),  # unsigned
        signing.Signer(salt="another.salt").sign_object(["name", "Ana", 1]),
    ],
)
def test_a_garbage_or_forged_cursor_is_a_422_at_cursor(cursor, clients, workspace):
    qs = Client.objects.for_workspace(workspace)
    assert _error_path(lambda: keyset_page(qs, order=Keyset("name"), cursor=cursor, limit=2)) == "cursor"


def test_an_empty_cursor_is_the_first_page(clients, workspace):
    qs = Client.objects.for_workspace(workspace)
    assert keyset_page(qs, cursor="", limit=2) == keyset_page(qs, cursor=None, limit=2)


def test_a_tampered_cursor_is_a_422_at_cursor(clients, workspace):
    qs = Client.objects.for_workspace(workspace)
    _rows, cursor = keyset_page(qs, order=Keyset("name"), cursor=None, limit=2)
    assert cursor is not None
    payload, signature = cursor.rsplit(":", 1)
    forged = base64.urlsafe_b64encode(json.dumps(["name", "Zzz", 1]).encode()).decode().rstrip("=")
    for tampered in (f"{forged}:{signature}", cursor[:-1] + ("A" if cursor[-1] != "A" else "B"), payload):
        assert (
            _error_path(lambda t=tampered: keyset_page(qs, order=Keyset("name"), cursor=t, limit=2))
            == "cursor"
        )


def test_a_cursor_of_another_order_is_a_422_at_cursor(clients, workspace):
    qs = Client.objects.for_workspace(workspace)
    _rows, by_name = keyset_page(qs, order=Keyset("name"), cursor=None, limit=2)
    _rows, by_id = keyset_page(qs, cursor=None, limit=2)
    assert (
        _error_path(lambda: keyset_page(qs, order=Keyset("created_at"), cursor=by_name, limit=2)) == "cursor"
    )
    assert _error_path(lambda: keyset_page(qs, order=Keyset("name"), cursor=by_id, limit=2)) == "cursor"


def test_a_signed_cursor_with_a_value_of_the_wrong_type_is_a_422_at_cursor(clients, workspace):
    """Even a cursor signed with our key is checked against the sort field's type."""
    qs = Client.objects.for_workspace(workspace)
    signer = signing.Signer(salt="atendo.core.pagination")
    for payload in (["name", 5, 1], ["name", "Ana", 0], ["name", "Ana", 2**63], ["created_at", "noon", 1]):
        order = Keyset(payload[0])
        cursor = signer.sign_object(payload)
        assert _error_path(lambda o=order, c=cursor: keyset_page(qs, order=o, cursor=c, limit=2)) == "cursor"


@pytest.mark.parametrize("limit", [0, -1, MAX_PAGE + 1, True, "10", None])
def test_a_limit_outside_its_bounds_is_a_422_at_limit(limit):
    assert _error_path(lambda: check_limit(limit)) == "limit"


def test_limits_at_the_bounds_are_accepted():
    assert check_limit(1) == 1 and check_limit(MAX_PAGE) == MAX_PAGE
    assert check_limit(5, maximum=5) == 5


def test_an_unknown_sort_is_a_422_at_sort():
    assert Keyset.parse("-name", {"name"}) == Keyset("name", descending=True)
    for sort in ("nope", "--name", "-"):
        assert _error_path(lambda s=sort: Keyset.parse(s, {"name"})) == "sort"
