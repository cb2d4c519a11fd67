"""The clinical canary, for a client's portal: the planted practice (a marker in every clinical
column, `tests/canary_data`), a portal session of its client, and every portal page crawled with
the planted ids (the same URL filling as `tests/test_clinical_canary.py`), following the portal's
own links one level: no response carries a trace of clinical content, nor names another client.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client as HttpClient

from atendo.portal import links, services
from atendo.portal.models import PortalLink
from conftest import ApiClient
from tests.canary_data import SLUG, Planted, planted_practice
from tests.test_clinical_canary import _decode, leaks, page_urls

pytestmark = pytest.mark.django_db

_HREF = re.compile(r'href="([^"#]+)"')


@pytest.fixture(scope="module")
def planted(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Planted]:
    yield from planted_practice(django_db_blocker, tmp_path_factory, ApiClient, export_formats=("json",))


def _portal_of(planted_data: Any, client_id: int) -> HttpClient:
    from atendo.clients.models import Client

    client = Client.objects.get(pk=client_id)
    raw = links.new_secret()
    PortalLink.objects.create(
        workspace=planted_data.workspace,
        client=client,
        token_hash=links.digest(raw),
        channel="email",
        expires_at=planted_data.workspace.created_at.replace(year=2999),
    )
    opened = services.link_open(raw)
    assert opened.session is not None
    http = HttpClient()
    http.cookies[links.COOKIE] = opened.key
    return http


def _crawl(planted_data: Any, http: HttpClient) -> list[Any]:
    urls, _unfilled = page_urls(planted_data)
    todo = [url for _name, url in urls if url.startswith("/portal/")]
    assert any(url == f"/portal/{SLUG}/home/" for url in todo)
    seen: set[str] = set()
    responses = []
    for depth in (0, 1):
        found: list[str] = []
        for url in todo:
            if url in seen:
                continue
            seen.add(url)
            response = _decode(url, http.get(url))
            responses.append(response)
            if depth == 0 and response.status == 200:
                for raw in _HREF.findall(response.text):
                    target = html.unescape(raw)
                    if urlsplit(target).path.startswith("/portal/") and "logout" not in target:
                        found.append(target)
        todo = found
    return responses


def test_a_portal_session_never_receives_clinical_content(planted):
    for client_id in (planted.client_id, planted.other_client_id):
        http = _portal_of(planted, client_id)
        responses = _crawl(planted, http)
        assert {r.url: leaks(r) for r in responses if leaks(r)} == {}
        assert sum(r.status == 200 for r in responses) >= 3  # the home, the client's sessions' pages
        home = next(r for r in responses if r.url == f"/portal/{SLUG}/home/")
        assert home.status == 200


def test_a_portal_session_never_names_another_client(planted):
    from atendo.clients.models import Client

    other = Client.objects.get(pk=planted.other_client_id)
    http = _portal_of(planted, planted.client_id)
    for response in _crawl(planted, http):
        assert other.name not in response.text, response.url
