"""The clinical canary, write side: every write operation of the OpenAPI schema (POST, PUT, PATCH,
DELETE), tried as each member who may not read the planted client's clinical content (the
assistant, the unassigned therapist, the auditor with every non-clinical permission), leaves that
content unchanged and readable by no one new; and its answer never depends on hidden content.

The contract is product.md's "People and access": no member widens their own clinical access,
nothing widens anyone's as a side effect of a write by a member without `client.assign`, and a
write never moves clinical content to new readers nor erases it unless the writer may read it.

Each operation is tried with its path parameters filled with the planted records (the clinical
session, client, evaluations, attachments; the persona itself where a member is named), first with
a plain body built from nothing (`{}`, or a small file for uploads) so that a new operation joins
by itself, then with the bodies of `ATTACKS` that try to change, move or erase clinical content
(change a session's client, practitioner or therapy type; record with another therapy type and no
values; empty a phase; assign oneself; turn a field or an evaluation administrative; grant a role
clinical access...). Each attempt runs in a savepoint that is rolled back, so every attempt meets
the planted practice as it was.

After each attempt: the clinical content (`content`) is what it was, and each member's exposure
(the markers they would receive through the serializers and the one redaction point) is not
larger than before. An attempt answered with an error is checked for content only: a refused write
is rolled back by its service, and exposure can only grow by a write that succeeded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from atendo.accounts.models import ApiToken
from atendo.api import api as ninja_api
from atendo.audit.models import AuditEvent
from atendo.booking.tests.canary import booking_token
from atendo.clients.models import Client
from atendo.clients.serializers import clients_to_json
from atendo.evaluations.models import Evaluation
from atendo.evaluations.selectors import evaluations_to_json
from atendo.files.models import Attachment
from atendo.files.selectors import can_read_attachment
from atendo.files.services import attachment_storage
from atendo.intake.tests.canary import planted_requests
from atendo.scheduling.models import Session
from atendo.scheduling.serializers import sessions_to_json
from atendo.trail.selectors import events_to_json
from atendo.workspaces.models import Membership, Role
from conftest import ApiClient
from tests.canary_data import PREFIX, SLUG, STRUCTURAL_KEYS, Planted, planted_practice

# One worker builds the module's planted practice once (`make test` runs `--dist loadgroup`).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("canary-writes")]

API_PREFIX = "/api/v1"
WRITE_METHODS = ("post", "put", "patch", "delete")
WRONG = "a wrong guess"
MARKER = re.compile(rf"{PREFIX}\w*?XZQ")
ADMINISTRATIVE = frozenset({"pre_room", "c_ref"})  # the planted administrative fields
VALUE_CONTAINERS = frozenset({"fields", "pre", "during", "post", "therapy_fields", "values"})


def write_operations() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema()
    return sorted(
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in WRITE_METHODS
    )


@pytest.fixture(scope="module")
def planted(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Planted]:
    yield from planted_practice(django_db_blocker, tmp_path_factory, ApiClient, export_formats=("json",))


# --- the state a write must not change ----------------------------------------------------------------


def _stored(attachment: Attachment) -> bytes | None:
    try:
        with attachment_storage().open(attachment.storage_name, "rb") as handle:
            return bytes(handle.read())
    except FileNotFoundError:
        return None


def content(planted: Planted) -> dict[str, Any]:
    """The planted clinical content, as stored, with what decides who reads it."""
    session = (
        Session.objects.filter(pk=planted.session_id)
        .values(
            "client_id",
            "practitioner_id",
            "therapy_type_id",
            "notes",
            "pre_fields",
            "during_fields",
            "post_fields",
            "therapy_fields",
        )
        .first()
    )
    if session is not None:
        session["pre_fields"] = {k: v for k, v in session["pre_fields"].items() if k not in ADMINISTRATIVE}
    client = Client.objects.filter(pk=planted.client_id).values("fields").first()
    if client is not None:
        client["fields"] = {k: v for k, v in client["fields"].items() if k not in ADMINISTRATIVE}
    evaluations = list(
        Evaluation.objects.filter(pk__in=[planted.evaluation_id, planted.admin_evaluation_id])
        .order_by("pk")
        .values("client_id", "session_id", "title", "values", "clinical")
    )
    attachments = [
        (a.pk, a.original_name, a.clinical, a.client_id, a.session_id, _stored(a))
        for a in Attachment.objects.filter(pk__in=planted.attachment_ids).order_by("pk")
    ]
    return {"session": session, "client": client, "evaluations": evaluations, "attachments": attachments}


def _value_keys(value: Any, parent: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if parent in VALUE_CONTAINERS:
                yield key
            yield from _value_keys(inner, key)
    elif isinstance(value, list):
        for inner in value:
            yield from _value_keys(inner, parent)


def exposure(planted: Planted) -> dict[int, set[str]]:
    """For each member of the workspace (new ones too), the markers and valued keys they would
    receive through the doors' serializers: sessions, clients, evaluations, attachments, trail."""
    workspace = planted.workspace
    out: dict[int, set[str]] = {}
    sessions = list(
        Session.objects.for_workspace(workspace).select_related(
            "client", "practitioner__user", "therapy_type"
        )
    )
    clients = list(Client.objects.for_workspace(workspace).prefetch_related("assignments"))
    evaluations = list(Evaluation.objects.for_workspace(workspace).select_related("performed_by__user"))
    attachments = list(Attachment.objects.for_workspace(workspace).select_related("session"))
    events = list(AuditEvent.objects.for_workspace(workspace.pk))
    members = Membership.objects.for_workspace(workspace).select_related("workspace", "role", "user")
    for member in members.filter(is_active=True):
        shown: list[Any] = []
        if member.has_perm("session.read"):
            shown.append(sessions_to_json(member, sessions))
        if member.has_perm("client.read"):
            shown.append(clients_to_json(member, clients))
            shown.append(evaluations_to_json(member, evaluations)[0])
        if member.has_perm("audit.read"):
            shown.append(events_to_json(member, events))
        files = [a for a in attachments if can_read_attachment(member, a)]
        text = json.dumps(shown, default=str) + "".join(
            a.original_name + (_stored(a) or b"").decode("latin-1") for a in files
        )
        out[member.pk] = set(MARKER.findall(text)) | (set(_value_keys(shown)) & STRUCTURAL_KEYS)
    return out


_PRISTINE: dict[str, Any] = {}


def pristine(planted: Planted) -> tuple[dict[str, Any], dict[int, set[str]]]:
    if not _PRISTINE:
        _PRISTINE["content"] = content(planted)
        _PRISTINE["exposure"] = exposure(planted)
    return _PRISTINE["content"], _PRISTINE["exposure"]


# --- what to try --------------------------------------------------------------------------------------


def _version(planted: Planted) -> int:
    return int(Session.objects.filter(pk=planted.session_id).values_list("version", flat=True).get())


def _role(planted: Planted, name: str) -> int:
    return int(Role.objects.get(workspace=planted.workspace, name=name).pk)


def path_values(planted: Planted, me: Membership) -> dict[str, list[Any]]:
    token = ApiToken.objects.filter(workspace_id=planted.workspace.pk, user_id=me.user_id).values_list(
        "pk", flat=True
    )
    return {
        "workspace_slug": [SLUG],
        "session_id": [planted.session_id],
        "client_id": [planted.client_id],
        "evaluation_id": [planted.evaluation_id, planted.admin_evaluation_id],
        # A field's file, the session's and the client's own (each kind of record; the others are
        # the same to a write).
        "attachment_id": [planted.attachment_ids[0], *planted.attachment_ids[-2:]],
        "member_id": [me.pk, planted.therapist.pk],
        # The writer's own calendar feed and the therapist's (revoking another's is a 404).
        "feed_id": [_feed(planted, me), _feed(planted, planted.therapist)],
        "role_id": [_role(planted, "Therapist"), _role(planted, "Auditor")],
        "token_id": list(token)[:1],
        "field_id": [planted.field_ids[k] for k in ("pre_text", "c_text", "e_text", "t_text")],
        "therapy_type_id": [planted.therapy_type_id],
        "payment_id": [planted.payment_id],
        "invoice_id": [planted.invoice_id],
        # The writer's own export of the clinical client (theirs to delete) and the owner's,
        # which holds the clinical content: another member's export is a 404, never erased.
        "export_id": [planted.export_ids[_who(planted, me)][0], planted.export_ids["owner"][0]],
        "phase": ["pre", "during", "post"],
        "note_template_id": [_note_template(planted)],
        # Online booking's request (a new client's session with the planted therapist) and the
        # intake forms of the planted clinical client: a pre-session form, a consent, client fields.
        "booking_id": [_booking(planted)],
        "form_request_id": [r.pk for r in planted_requests(planted)],
        "consent_document_id": [
            r.consent_document_id for r in planted_requests(planted) if r.consent_document_id
        ],
    }


def _booking(planted: Planted) -> int:
    from atendo.booking.models import Booking

    booking_token(planted)
    return Booking.objects.for_workspace(planted.workspace).get().pk


def _note_template(planted: Planted) -> int:
    """A practice's own note template: labels only, nothing clinical (deleting it keeps its fields)."""
    from atendo.fields.models import NoteTemplate

    fields = [{"key": "canary_template", "label": "Canary", "type": "textarea", "phase": "post"}]
    return NoteTemplate.objects.get_or_create(
        workspace_id=planted.workspace.pk, name="Canary template", defaults={"fields": fields}
    )[0].pk


def _feed(planted: Planted, member: Membership) -> int:
    from atendo.feeds.services import feed_create

    return feed_create(member=member)[0].pk


def _who(planted: Planted, me: Membership) -> str:
    return next(who for who, member in planted.members.items() if member.pk == me.pk)


Body = dict[str, Any]
S = "/api/v1/workspaces/{workspace_slug}"


def _session_attacks(p: Planted, me: Membership) -> list[Body]:
    v = _version(p)
    return [
        {"version": v, "client_id": p.other_client_id},
        {"version": v, "practitioner_id": me.pk},
        {"version": v, "practitioner_id": p.other_therapist.pk},
        {"version": v, "therapy_type_id": None},
        {"version": v, "notes": ""},
        {"version": v, "notes": p.hidden["notes"]},
        {"version": v, "name": "Renamed"},
    ]


def _phase_attacks(p: Planted, me: Membership) -> list[Body]:
    v = _version(p)
    return [{"version": v, "values": {}}, {"version": v, "values": {"pre_room": "Sala 3"}}]


def _record_attacks(p: Planted, me: Membership) -> list[Body]:
    v = _version(p)
    return [
        {"version": v, "therapy_type_id": None},
        {"version": v, "therapy_fields": {}},
        {"version": v, "notes": ""},
        {"version": v, "actual_duration_minutes": 50},
    ]


def _booking_attacks(p: Planted, me: Membership) -> list[Body]:
    base = {
        "name": "Nova",
        "client_id": p.client_id,
        "starts_at": "2026-03-20T10:00:00-03:00",
        "duration_minutes": 60,
    }
    return [{**base, "practitioner_id": me.pk}, {**base, "practitioner_id": p.other_therapist.pk}, base]


ATTACKS: dict[tuple[str, str], Callable[[Planted, Membership], list[Body]]] = {
    ("patch", S + "/sessions/{session_id}"): _session_attacks,
    ("put", S + "/sessions/{session_id}/fields/{phase}"): _phase_attacks,
    ("post", S + "/sessions/{session_id}/record"): _record_attacks,
    ("post", S + "/sessions"): _booking_attacks,
    ("post", S + "/sessions/check"): _booking_attacks,
    ("patch", S + "/clients/{client_id}"): lambda p, me: [
        {"practitioner_ids": [me.pk]},
        {"practitioner_ids": [p.therapist.pk, p.other_therapist.pk]},
        {"practitioner_ids": []},
        {"fields": {}},
        {"fields": {"c_ref": "Prontuário 43"}},
    ],
    ("post", S + "/clients"): lambda p, me: [{"name": "Nova cliente", "practitioner_ids": [p.therapist.pk]}],
    ("post", S + "/clients/{client_id}/practitioners"): lambda p, me: [
        {"member_id": me.pk},
        {"member_id": p.other_therapist.pk},
    ],
    ("patch", S + "/evaluations/{evaluation_id}"): lambda p, me: [
        {"clinical": False},
        {"title": "Renamed"},
        {"values": {}},
    ],
    ("post", S + "/evaluations"): lambda p, me: [
        {"client_id": p.client_id, "title": "Nova", "clinical": False, "session_id": p.session_id}
    ],
    ("patch", S + "/fields/{field_id}"): lambda p, me: [{"clinical": False}, {"label": "Renamed"}],
    ("patch", S + "/roles/{role_id}"): lambda p, me: [
        {"permissions": ["session.read", "client.read", "clinical.read_all"]},
        {"permissions": ["client.read", "client.assign"]},
    ],
    ("post", S + "/roles"): lambda p, me: [{"name": "Leitor", "permissions": ["clinical.read_all"]}],
    ("patch", S + "/members/{member_id}"): lambda p, me: [
        {"role_id": _role(p, "Owner")},
        {"role_id": _role(p, "Therapist")},
    ],
    ("post", S + "/members"): lambda p, me: [
        {"email": "novo@canary.test", "role_id": _role(p, "Owner")},
        {"email": "novo@canary.test", "role_id": _role(p, "Therapist")},
    ],
    ("post", S + "/sessions/{session_id}/status"): lambda p, me: [{"status": "cancelled"}],
    ("post", S + "/invoices"): lambda p, me: [{"session_ids": [p.session_id]}],
    # An export of the clinical client's record by a non-reader: built, withholding the content.
    ("post", S + "/exports"): lambda p, me: [{"kind": "client", "client_id": p.client_id, "format": "zip"}],
}
UPLOADS = {("post", S + "/attachments"), ("post", S + "/sessions/{session_id}/attachments")}


def attempts(planted: Planted, me: Membership, method: str, path: str) -> Iterator[tuple[str, Any]]:
    """(url, body) of every attempt at one operation: each filled path with the plain body, then
    with each attack of `ATTACKS`."""
    values = path_values(planted, me)
    names = re.findall(r"{(\w+)}", path)
    missing = [n for n in names if not values.get(n)]
    assert missing == [], f"give {method.upper()} {path} values for {missing} in path_values"
    first = {n: values[n][0] for n in names}
    fills = [first] + [{**first, n: v} for n in names for v in values[n][1:]]
    for filled in fills:
        url = path
        for name, value in filled.items():
            url = url.replace("{" + name + "}", str(value))
        if (method, path) in UPLOADS:
            yield url, "upload"
            continue
        yield url, {}
        for body in ATTACKS.get((method, path), lambda p, m: [])(planted, me):
            yield url, body


def send(api: ApiClient, method: str, url: str, body: Any) -> Any:
    if body == "upload":
        upload = SimpleUploadedFile("novo.txt", b"novo arquivo\n")
        return api.http.post(url, {"file": upload, "client_id": "", "clinical": "true"})
    return getattr(api, method)(url) if method == "delete" else getattr(api, method)(url, body)


# --- the tests ----------------------------------------------------------------------------------------


NON_READERS = ("assistant", "other_therapist", "auditor")


@pytest.mark.parametrize("method,path", write_operations())
@pytest.mark.parametrize("who", NON_READERS)
def test_a_write_by_a_non_reader_leaves_clinical_content_unchanged_and_unread(planted, who, method, path):
    before, exposed = pristine(planted)
    me = planted.non_readers[who]
    api = ApiClient(me)
    problems = []
    for url, body in attempts(planted, me, method, path):
        with transaction.atomic():
            response = send(api, method, url, body)
            status = response.status_code
            assert status < 500, (url, body, response.content[:300])
            if content(planted) != before:
                problems.append((status, url, body, "changed clinical content"))
            if status < 400:
                now = exposure(planted)
                wider = {m: sorted(seen - exposed.get(m, set())) for m, seen in now.items()}
                if any(wider.values()):
                    problems.append((status, url, body, f"opened to members {wider}"))
            transaction.set_rollback(True)
    assert problems == []


# Pairs of writes that differ only in a guess of hidden content: the right one and a wrong one.
def _oracles(p: Planted) -> list[tuple[str, str, Body, Body]]:
    v = _version(p)
    pre = p.hidden["phases"]["pre"]
    text_key = "pre_text"
    return [
        (
            "patch",
            f"sessions/{p.session_id}",
            {"version": v, "notes": p.hidden["notes"]},
            {"version": v, "notes": WRONG},
        ),
        (
            "put",
            f"sessions/{p.session_id}/fields/pre",
            {"version": v, "values": pre},
            {"version": v, "values": {**pre, text_key: WRONG}},
        ),
        (
            "put",
            f"sessions/{p.session_id}/fields/pre",
            {"version": v, "values": {"pre_room": "Sala 2", text_key: pre[text_key]}},
            {"version": v, "values": {"pre_room": "Sala 2", text_key: WRONG}},
        ),
        (
            "post",
            f"sessions/{p.session_id}/record",
            {"version": v, "notes": p.hidden["notes"], "therapy_fields": p.hidden["therapy_fields"]},
            {"version": v, "notes": WRONG, "therapy_fields": {"t_text": WRONG}},
        ),
        (
            "patch",
            f"clients/{p.client_id}",
            {"fields": p.hidden["client_fields"]},
            {"fields": {**p.hidden["client_fields"], "c_text": WRONG}},
        ),
        (
            "patch",
            f"evaluations/{p.evaluation_id}",
            {"title": Evaluation.objects.get(pk=p.evaluation_id).title},
            {"title": WRONG},
        ),
    ]


def _answer(response: Any) -> tuple[int, Any]:
    body = response.json() if response.get("Content-Type", "").startswith("application/json") else None
    code = body.get("error", {}).get("code") if isinstance(body, dict) else None
    return response.status_code, code


@pytest.mark.parametrize("who", NON_READERS)
def test_the_answer_to_a_write_never_depends_on_hidden_content(planted, who):
    api = ApiClient(planted.non_readers[who])
    differ = []
    for method, url, right, wrong in _oracles(planted):
        answers = []
        for body in (right, wrong):
            with transaction.atomic():
                answers.append(_answer(getattr(api, method)(url, body)))
                transaction.set_rollback(True)
        if answers[0] != answers[1]:
            differ.append((method, url, answers))
    assert differ == []


def test_every_attack_names_an_operation_of_the_schema():
    assert set(ATTACKS) | UPLOADS <= set(write_operations())


def test_the_pristine_practice_is_exposed_to_its_readers_only(planted):
    _before, exposed = pristine(planted)
    assert exposed[planted.owner.pk] and exposed[planted.therapist.pk]
    assert {who: exposed[m.pk] for who, m in planted.non_readers.items()} == {
        who: set() for who in planted.non_readers
    }
