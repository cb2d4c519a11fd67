"""Every date, time and date-time input on every page carries ISO 8601, in every language.

`<input type="date">` only accepts `YYYY-MM-DD` (and `datetime-local` `YYYY-MM-DDTHH:MM`, `time`
`HH:MM`): a localised value ("01/12/2026") is blanked by the browser, and the form then refuses
to save ("Este campo é obrigatório"). The canary's planted practice (a date and a date-time field
in every phase, evaluations, payments, invoices) is crawled as its owner in Portuguese and in
English — every page the URL resolver knows, its htmx partial, and the workspace links found in
them — and each such input's value must be ISO or empty. New pages and forms join by themselves.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as HttpClient

from conftest import ApiClient
from tests.canary_data import Planted, planted_practice
from tests.test_clinical_canary import _links, page_urls

# One worker builds the module's planted practice once (`make test` runs `--dist loadgroup`).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("iso-inputs")]

PATTERNS = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "time": re.compile(r"^\d{2}:\d{2}(:\d{2})?$"),
    "datetime-local": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
}
INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)


@pytest.fixture(scope="module")
def planted(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Planted]:
    yield from planted_practice(django_db_blocker, tmp_path_factory, ApiClient, export_formats=("json",))


def _dated_inputs(body: str) -> Iterator[tuple[str, str, str]]:
    """(type, name, value) of each date-like input of a page."""
    for tag in INPUT.findall(body):
        kind = re.search(r'\btype="([^"]+)"', tag)
        if kind and kind.group(1) in PATTERNS:
            name = re.search(r'\bname="([^"]*)"', tag)
            value = re.search(r'\bvalue="([^"]*)"', tag)
            yield kind.group(1), name.group(1) if name else "", html.unescape(value.group(1)) if value else ""


def _crawl(planted: Planted, language: str) -> tuple[list[tuple[str, str, str, str]], int]:
    member = planted.members["owner"]
    client = HttpClient(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    client.force_login(member.user)
    seen: set[tuple[str, bool]] = set()
    bad: list[tuple[str, str, str, str]] = []
    checked = 0
    queue: list[tuple[str, bool]] = [(url, False) for _name, url in page_urls(planted)[0]]
    queue += [(url, True) for _name, url in page_urls(planted)[0]]
    depth = {item: 0 for item in queue}
    while queue:
        url, htmx = queue.pop(0)
        if (url, htmx) in seen or url.startswith("/api/"):
            continue
        seen.add((url, htmx))
        response = client.get(url, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        for kind, name, value in _dated_inputs(body):
            checked += 1
            if value and not PATTERNS[kind].match(value):
                bad.append((url, kind, name, value))
        if depth[(url, htmx)] == 0:
            for link in _links(body):
                if link not in depth:
                    depth[link] = 1
                    queue.append(link)
    return bad, checked


@pytest.mark.parametrize("language", ["pt-br", "en"])
def test_every_date_input_of_every_page_carries_iso(planted, language):
    bad, checked = _crawl(planted, language)
    assert checked >= 10, "the crawl found almost no date inputs: is the planted practice there?"
    assert bad == []
