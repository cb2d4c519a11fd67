"""The clinical canary, read side: a marker in every clinical column (see `canary_data`), then every
GET operation of the OpenAPI schema and every page the URL resolver knows, crawled as each persona.

Non-readers (the assistant, the therapist not assigned to the client, an auditor with every
non-clinical permission) never receive a marker: not in a body (JSON, CSV, HTML, text; PDFs by
their extracted text and their raw bytes; attachment bytes; a ZIP's members, e.g. an export's)
nor in a header. The owner and the assigned therapist receive every one somewhere, so the test
cannot pass by seeing nothing.

New doors join by themselves: every GET operation and every page is crawled with the planted ids
(path parameters and URL kwargs filled by name, the query parameters an operation declares tried
one at a time), links and htmx partials found in the pages are followed one level deep, and an
operation or page that cannot be filled fails `test_every_*_is_crawled` until it is given values
or listed in a `SKIPPED_*` table with its reason.

The practice is planted once per module (committed outside the tests' transactions, removed at
the end); each persona's crawl runs once and is shared by the tests that read it.
"""

from __future__ import annotations

import html
import io
import itertools
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver
from pypdf import PdfReader

from atendo.accounts.models import ApiToken
from atendo.api import api as ninja_api
from atendo.booking.tests.canary import booking_token, slot_days
from atendo.intake.tests.canary import planted_requests, planted_tokens
from atendo.workspaces.models import Role
from conftest import ApiClient
from tests.canary_data import NUMBERS, PREFIX, SLUG, STRUCTURAL_KEYS, YEARS, Planted, marker, planted_practice

pytestmark = pytest.mark.django_db

API_PREFIX = "/api/v1"
RANGE = {"start": "2026-03-01", "end": "2026-04-01"}
# Pages the crawl does not open, and why.
SKIPPED_PAGES = {
    "password_reset_confirm": "needs a mailed one-time token; shows no workspace data",
    "logout": "ends the persona's session mid-crawl; shows no workspace data",
    "set_language": "POST only, redirects; shows no workspace data",
}
# GET operations the crawl does not call, and why (none today).
SKIPPED_OPERATIONS: dict[str, str] = {}
# Pages answered by a form's query (a page without it shows nothing): each is also crawled with these
# (insights' notes search: the planted notes' own marker, in lower case since the page repeats the
# query and search ignores case, so a marker in the answer can only come from a result; and a word
# of the client's record).
PAGE_QUERIES: dict[str, list[str]] = {"search": [f"q={marker('notes').lower()}", "q=Alice"]}
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|name="csrf-token" content=)"[^"]*"')


@dataclass
class Response:
    url: str
    status: int
    content_type: str
    text: str  # everything searchable: the decoded body, PDF text, headers
    json: Any = None


@pytest.fixture(scope="module")
def planted(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Planted]:
    yield from planted_practice(django_db_blocker, tmp_path_factory, ApiClient)


# --- what to fill in ------------------------------------------------------------------------------


def _ids(planted: Planted) -> dict[str, list[Any]]:
    """Values for path parameters and URL kwargs, by name."""
    auditor_role = Role.objects.get(workspace=planted.workspace, name="Auditor")
    token = ApiToken.objects.filter(workspace_id=planted.workspace.pk).values_list("pk", flat=True).first()
    return {
        "workspace_slug": [SLUG],
        "session_id": [planted.session_id, planted.admin_session_id],
        "client_id": [planted.client_id, planted.other_client_id],
        "evaluation_id": [planted.evaluation_id, planted.admin_evaluation_id],
        "attachment_id": [*planted.attachment_ids, planted.admin_attachment_id],
        "member_id": [planted.therapist.pk],
        "membership_id": [planted.therapist.pk],
        "role_id": [auditor_role.pk],
        # Calendar feeds (each persona's, the owner's and the front desk's of the whole practice)
        # and a reminder's link to the clinical session: doors without a log-in, crawled by all.
        "feed_id": [f.pk for f, _url in _feeds(planted)],
        "token": [url.rsplit("/", 1)[-1].removesuffix(".ics") for _f, url in _feeds(planted)]
        + [_reminder_token(planted), booking_token(planted)]
        + planted_tokens(planted),
        "token_id": [token],
        "field_id": [planted.field_ids["pre_list"], planted.field_ids["c_group"]],
        "therapy_type_id": [planted.therapy_type_id],
        "note_template_id": [_note_template(planted)],
        "payment_id": [planted.payment_id],
        "invoice_id": [planted.invoice_id],
        # Every persona's exports: each crawl downloads its own (a real file) and meets 404 on
        # the others'.
        "export_id": [pk for ids in planted.export_ids.values() for pk in ids],
        # Intake forms: a pre-session form of the clinical session, a consent, client fields.
        "form_request_id": [r.pk for r in planted_requests(planted)],
        "consent_document_id": [
            r.consent_document_id for r in planted_requests(planted) if r.consent_document_id
        ],
        "phase": ["pre", "during", "post"],
        "scope": ["client", "session", "evaluation", f"therapy_type:{planted.therapy_type_id}"],
        "action": ["issue"],
    }


def _note_template(planted: Planted) -> int:
    from atendo.fields.models import NoteTemplate

    fields = [{"key": "canary_tpl", "label": "Canary template", "type": "textarea", "phase": "post"}]
    return NoteTemplate.objects.get_or_create(
        workspace=planted.workspace, name="Canary template", defaults={"fields": fields}
    )[0].pk


def _feeds(planted: Planted) -> list[tuple[Any, str]]:
    from atendo.feeds.services import feed_create

    made = [feed_create(member=planted.members[who])[0:2] for who in ("therapist", "other_therapist")]
    made.append(feed_create(member=planted.owner, scope="workspace")[0:2])
    made.append(feed_create(member=planted.assistant, scope="workspace", initials_only=True)[0:2])
    return made


def _reminder_token(planted: Planted) -> str:
    from atendo.reminders.links import make_token
    from atendo.scheduling.models import Session

    session = Session.objects.get(pk=planted.session_id)
    return make_token(workspace_id=planted.workspace.pk, session_id=session.pk, starts_at=session.starts_at)


def _query_probes(planted: Planted) -> dict[str, Any]:
    """One value per query parameter an operation may declare; each is tried on its own."""
    return {
        "client_id": planted.client_id,
        "session_id": planted.session_id,
        "practitioner_id": planted.therapist.pk,
        "include_inactive": "true",
        "include_archived": "true",
        "archived": "all",
        "q": "Alice",
        "status": "completed",
        "object_type": "evaluation",
        "scope": "session",
        "limit": 200,
        # Reports (counts and amounts only) by practitioner; the payments worklist's order.
        "group_by": "practitioner",
        "sort": "due_date",
    }


def _required_query(planted: Planted, name: str) -> list[Any]:
    values: dict[str, list[Any]] = {
        "scope": ["client", "session", "evaluation", f"therapy_type:{planted.therapy_type_id}"],
        "practitioner_id": [planted.therapist.pk],
        "duration": [60],
        "start": [RANGE["start"]],
        "end": [RANGE["end"]],
        "date": slot_days(),  # online booking's public slots
        # Search (insights): the planted notes' own marker, and a word of the client's record.
        "q": [marker("notes"), "Alice"],
    }
    return values.get(name, [])


def api_calls(planted: Planted) -> tuple[list[tuple[str, str]], list[str]]:
    """([(operation, url)] for every GET operation, [operations that could not be filled])."""
    schema = ninja_api.get_openapi_schema()
    ids = _ids(planted)
    probes = _query_probes(planted)
    calls: list[tuple[str, str]] = []
    unfilled: list[str] = []
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        if path in SKIPPED_OPERATIONS:
            continue
        params = operation.get("parameters", [])
        path_names = [p["name"] for p in params if p["in"] == "path"]
        query = [p for p in params if p["in"] == "query"]
        if any(name not in ids for name in path_names):
            unfilled.append(path)
            continue
        required = [p["name"] for p in query if p.get("required")]
        if any(not _required_query(planted, name) for name in required):
            unfilled.append(path)
            continue
        optional = [p["name"] for p in query if not p.get("required")]
        variants: list[dict[str, Any]] = [
            dict(zip(required, combo, strict=True))
            for combo in itertools.product(*(_required_query(planted, n) for n in required))
        ]
        base = variants[0] if variants else {}
        if "start" in optional and "end" in optional:
            variants.append({**base, **RANGE})
        for name in optional:
            if name in probes:
                variants.append({**base, name: probes[name]})
            if name == "start" and "client_id" in optional:
                variants.append({**base, **RANGE, "client_id": planted.client_id})
        for filled in sweep(path_names, ids):
            url = API_PREFIX + path.removeprefix(API_PREFIX)
            for name, value in filled.items():
                url = url.replace("{" + name + "}", str(value))
            for variant in variants or [{}]:
                query_string = "&".join(f"{k}={v}" for k, v in variant.items())
                calls.append((path, url + (f"?{query_string}" if query_string else "")))
    return calls, unfilled


def _patterns(
    patterns: list[Any], prefix: str = "", namespace: str | None = None
) -> Iterator[tuple[str, str, str]]:
    """(route, name, namespace-qualified name) of every page pattern, the API's excluded."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            route = prefix + str(pattern.pattern)
            if route.startswith("api/"):
                continue
            yield from _patterns(pattern.url_patterns, route, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name or "", namespace or ""


KWARG = re.compile(r"<(?:(\w+):)?(\w+)>")


def sweep(names: list[str], ids: dict[str, list[Any]]) -> Iterator[dict[str, Any]]:
    """Each parameter over all its planted values, the others at their first: every planted object
    is reached without the product of all of them."""
    first = {name: ids[name][0] for name in names}
    yield first
    for name in names:
        for value in ids[name][1:]:
            yield {**first, name: value}


def page_urls(planted: Planted) -> tuple[list[tuple[str, str]], list[str]]:
    """([(page name, url)] for every page, [pages that could not be filled])."""
    ids = _ids(planted)
    urls: list[tuple[str, str]] = []
    unfilled: list[str] = []
    for route, name, _namespace in _patterns(get_resolver().url_patterns):
        if name in SKIPPED_PAGES:
            continue
        names = [m.group(2) for m in KWARG.finditer(route)]
        if any(n not in ids for n in names):
            unfilled.append(f"{route} ({name})")
            continue
        for filled in sweep(names, ids):
            url = "/" + KWARG.sub(lambda m: str(filled[m.group(2)]), route)  # noqa: B023
            urls.append((name, url))
            urls += [(name, f"{url}?{query}") for query in PAGE_QUERIES.get(name, [])]
    return urls, unfilled


# --- crawling -------------------------------------------------------------------------------------


def _pdf_text(raw: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(raw))
    return [
        "\n".join(page.extract_text() or "" for page in reader.pages),
        json.dumps({str(k): str(v) for k, v in (reader.metadata or {}).items()}),
    ]


def _zip_text(raw: bytes) -> list[str]:
    """A ZIP's member names and their bytes (a PDF's text too): an export's archive."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            parts += [name, data.decode("utf-8", errors="replace"), data.decode("latin-1")]
            if data.startswith(b"%PDF"):
                parts += _pdf_text(data)
    return parts


def _decode(url: str, response: Any) -> Response:
    content_type = response.get("Content-Type", "")
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.items() if k.lower() != "set-cookie")
    parts = [headers, raw.decode("utf-8", errors="replace"), raw.decode("latin-1")]
    parsed = None
    if content_type.startswith("application/json"):
        parsed = json.loads(raw or b"null")
    elif content_type.startswith("application/pdf") or raw.startswith(b"%PDF"):
        parts += _pdf_text(raw)
    elif raw.startswith(b"PK\x03\x04"):
        parts += _zip_text(raw)
    text = html.unescape(CSRF.sub("", "\n".join(parts)))
    return Response(url, response.status_code, content_type, text, parsed)


_LINK = re.compile(r'(href|hx-get)="([^"#]+)"')


def _links(body: str) -> Iterator[tuple[str, bool]]:
    """(url, is an htmx partial) of the workspace's own links in a page."""
    for attribute, raw in _LINK.findall(body):
        url = html.unescape(raw)
        path = urlsplit(url).path
        if path.startswith((f"/w/{SLUG}/", f"{API_PREFIX}/workspaces/{SLUG}/")) and "logout" not in path:
            yield url, attribute == "hx-get"


def crawl(planted: Planted, who: str) -> list[Response]:
    member = planted.members[who]
    api = ApiClient(member)
    pages = HttpClient()
    pages.force_login(member.user)
    seen: set[tuple[str, bool]] = set()
    out: list[Response] = []

    def fetch(client: HttpClient, url: str, htmx: bool = False) -> Response | None:
        if (url, htmx) in seen:
            return None
        seen.add((url, htmx))
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        got = _decode(url, client.get(url, **headers))
        out.append(got)
        return got

    for _operation, url in api_calls(planted)[0]:
        fetch(api.http, url)
    found: list[tuple[str, bool]] = []
    for _name, url in page_urls(planted)[0]:
        got = fetch(pages, url)
        if got is not None and got.status == 200 and "html" in got.content_type:
            found += list(_links(got.text))
            fetch(pages, url, htmx=True)  # the partial a page answers to htmx, if it has one
    for url, htmx in found:
        client = api.http if url.startswith(API_PREFIX) else pages
        fetch(client, url, htmx)
    return out


_CRAWLS: dict[str, list[Response]] = {}


@pytest.fixture
def crawled(planted: Planted) -> Any:
    def get(who: str) -> list[Response]:
        if who not in _CRAWLS:
            _CRAWLS[who] = crawl(planted, who)
        return _CRAWLS[who]

    return get


# --- what a response may not contain ----------------------------------------------------------------


VALUE_CONTAINERS = frozenset({"fields", "pre", "during", "post", "therapy_fields", "values"})


def _json_keys(value: Any, parent: str = "") -> Iterator[str]:
    """Keys of the JSON objects that hold field values (`fields.pre`, `therapy_fields`, `values`…),
    not those of definitions (a JSON Schema's `properties` name every key of a form)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if parent in VALUE_CONTAINERS:
                yield key
            yield from _json_keys(inner, key)
    elif isinstance(value, list):
        for inner in value:
            yield from _json_keys(inner, parent)


def _signals() -> list[re.Pattern[str]]:
    """What only clinical content contains, besides the text markers: its numbers (either decimal
    separator) and years, standing alone (not inside a random token)."""
    numbers = [n.replace(".", "[.,]") for n in NUMBERS.values()]
    return [re.compile(rf"(?<![\w.,]){signal}(?![\w])") for signal in (*numbers, *YEARS.values())]


RANDOM_TOKEN_LENGTH = 20
UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
# Row ids: a JSON id (`"id": 1936`, `"user_id": …`, `"session_ids": [1, 1936]`) and an id in a
# URL (`/sessions/1936/`, `?session_id=1936`), never a date's digits (`19/07/1936`). PostgreSQL's
# sequences run on through the whole suite, so an id can be any number, a planted year included;
# an id never carries content.
JSON_IDS = re.compile(r'"(?:\w*_)?ids?"\s*:\s*(?:\d+|\[[\d,\s]*\])')
PATH_IDS = re.compile(r"(?<=[A-Za-z_-])/\d+(?=/)|(?<=id=)\d+")


def leaks(response: Response) -> list[str]:
    """Every trace of clinical content in the response: any `QZX…` marker (a part of one too),
    the planted numbers and years, the keys of fields whose values carry no text."""
    found = sorted(
        {
            run[run.index(PREFIX) :]
            for run in re.findall(rf"[\w-]*{PREFIX}\w*", response.text)
            # Inside a long random token (a CSRF token, a signed cursor) the three letters are
            # chance, not a trace: a whole or partial marker ends in XZQ or stands short.
            if "XZQ" in run or len(run) < RANDOM_TOKEN_LENGTH
        }
    )
    # A UUID's four-digit groups stand between hyphens like a year in a date ("…-1933-…" in a FHIR
    # bundle's random id): UUIDs are taken out first, as they cannot carry content.
    text = PATH_IDS.sub("/", JSON_IDS.sub("", UUID.sub("", response.text)))
    found += [signal.pattern for signal in _signals() if signal.search(text)]
    if response.json is not None:
        found += sorted({k for k in _json_keys(response.json) if k in STRUCTURAL_KEYS})
    return found


# --- the tests --------------------------------------------------------------------------------------


# The tests that read the same persona's crawl share an xdist group, so one worker crawls it once
# (`make test` runs `--dist loadgroup`); each persona's crawl is the costly part of this module.
AUDITOR = pytest.mark.xdist_group("canary-auditor")
OWNER = pytest.mark.xdist_group("canary-owner")


@pytest.mark.parametrize("who", ["assistant", "other_therapist", pytest.param("auditor", marks=AUDITOR)])
def test_a_non_reader_never_receives_clinical_content(planted, crawled, who):
    responses = crawled(who)
    found = {r.url: leaks(r) for r in responses}
    assert {url: what for url, what in found.items() if what} == {}
    assert len(responses) > 100  # the crawl reached the practice, not only error pages
    assert sum(r.status == 200 for r in responses) > 50


@pytest.mark.parametrize("who", [pytest.param("owner", marks=OWNER), "therapist"])
def test_a_reader_receives_every_marker_somewhere(planted, crawled, who):
    responses = crawled(who)
    text = "\n".join(r.text for r in responses)
    missing = sorted(m for m in planted.markers if m not in text)
    missing += [signal.pattern for signal in _signals() if not signal.search(text)]
    keys = {k for r in responses if r.json is not None for k in _json_keys(r.json)}
    missing += sorted(STRUCTURAL_KEYS - keys)
    assert missing == []


@AUDITOR
def test_the_auditor_reads_the_trail_with_neutral_labels(planted, crawled):
    trail = [r for r in crawled("auditor") if "/audit" in r.url and r.status == 200]
    assert trail, "the auditor's crawl reached the audit trail"
    assert any(f"Evaluation #{planted.evaluation_id}" in r.text for r in trail)


def test_every_get_operation_is_crawled(planted):
    calls, unfilled = api_calls(planted)
    assert unfilled == [], (
        "give these operations values in _ids/_required_query, or list them in SKIPPED_OPERATIONS"
    )
    schema = ninja_api.get_openapi_schema()
    gets = {path for path, operations in schema["paths"].items() if "get" in operations}
    assert gets - set(SKIPPED_OPERATIONS) == {operation for operation, _url in calls}


@pytest.mark.parametrize("who", ["assistant", "other_therapist", "auditor"])
def test_a_question_over_the_notes_answers_a_non_reader_nothing_whatever_it_asks(planted, who):
    """`POST clients/{id}/ask` (insights) is the one clinical read that is not a GET: asked with the
    planted notes' own marker and with a wrong guess, a non-reader gets the same answer, no marker."""
    member = planted.members[who]
    api = ApiClient(member)
    pages = HttpClient()
    pages.force_login(member.user)
    answers = []
    for question in (marker("notes"), "a wrong guess"):
        got = api.post(f"clients/{planted.client_id}/ask", {"question": question})
        page = pages.post(f"/w/{SLUG}/clients/{planted.client_id}/progress/ask/", {"question": question})
        for response in (got, page):
            decoded = _decode("ask", response)
            decoded.text = decoded.text.replace(question, "")  # the page repeats the question
            assert leaks(decoded) == []
        answers.append((got.status_code, got.content, page.status_code))
    assert answers[0] == answers[1]


def test_every_page_is_crawled(planted):
    urls, unfilled = page_urls(planted)
    assert unfilled == [], "give these pages values in _ids, or list them in SKIPPED_PAGES"
    names = {name for _route, name, _ns in _patterns(get_resolver().url_patterns)}
    assert names - set(SKIPPED_PAGES) == {name for name, _url in urls}


def test_reminders_and_feeds_never_carry_clinical_content(planted):
    """The messages a client gets (e-mail, SMS and the WhatsApp template's parameters, in both languages)
    and every kind of calendar feed, built from the planted sessions whatever their date: no marker."""
    from atendo.feeds import services as feeds
    from atendo.reminders.channels import SmsWebhookChannel, WhatsAppChannel
    from atendo.reminders.models import ClientReminderPrefs
    from atendo.reminders.sending import compose, settings_of
    from atendo.scheduling.models import Session

    sessions = Session.objects.filter(pk__in=[planted.session_id, planted.admin_session_id]).select_related(
        "client", "practitioner__user", "workspace"
    )
    rs = settings_of(planted.workspace)
    out = []
    for session in sessions:
        session.client.email, session.client.phone = "alice@example.com", "+55 11 98765-4321"
        for language in ("pt-BR", "en"):
            for channel in ("email", "whatsapp", "sms"):
                message = compose(session, channel, rs, ClientReminderPrefs(language=language))
                assert message is not None
                out.append(Response(channel, 200, "text/plain", f"{message.subject}\n{message.body}"))
                out.append(
                    Response(channel, 200, "application/json", json.dumps(WhatsAppChannel().payload(message)))
                )
                sms = SmsWebhookChannel().payload(message, "ref")
                out.append(Response(channel, 200, "application/json", json.dumps(sms)))
    for feed, _url in _feeds(planted):
        ics = feeds.feed_ics(feed, feeds.sessions_for(feed.member).filter(pk__in=[s.pk for s in sessions]))
        out.append(Response("feed", 200, "text/calendar", ics.decode()))
    assert any("Alice" in r.text for r in out)  # the probes carry the session, not nothing
    assert {r.url: leaks(r) for r in out if leaks(r)} == {}


def test_a_clinical_field_filter_answers_a_non_reader_the_same_for_any_guess(planted):
    for member in planted.non_readers.values():
        api = ApiClient(member)
        right = api.get("sessions", **RANGE, **{"field.pre_sel": "b"})
        wrong = api.get("sessions", **RANGE, **{"field.pre_sel": "a"})
        assert (right.status_code, right.json()) == (wrong.status_code, wrong.json())


@OWNER
def test_the_trail_changes_never_carry_clinical_text(planted, crawled):
    """Even to the owner: an event records *that* notes or values changed, never what they say."""
    events = [
        item
        for r in crawled("owner")
        if r.json is not None and "/audit-events" in r.url and r.status == 200
        for item in r.json["items"]
    ]
    assert events
    assert [e for e in events if PREFIX in json.dumps(e["changes"])] == []
