"""The clinical canary's planted practice, shared by the read and the write canaries.

A workspace `canary` with the conftest personas (owner, therapist, other therapist, assistant)
and an auditor: a custom role holding `audit.read` and every permission outside the clinical group
(`clinical.read_own`, `clinical.read_all`, `client.assign`, `insights.read`). Everything is
written through the API as the owner, so the audit trail, the claims of field attachments and
every side effect happen as in production.

A unique marker sits in every clinical column: session notes; in each phase a clinical field of
every type (text, textarea, number, boolean, date, datetime, select, multi-select, image, file,
signature, array and object with nested values, team member); client clinical fields; therapy-type
fields; a clinical evaluation (title and values) and the clinical values of an administrative one;
clinical attachments (their names and their bytes: session, client and field files). Text markers
share the prefix `QZX`, so any `QZX` in a non-reader's response is a leak; numbers, dates and
date-times are marked by values found nowhere else (`NUMBERS`, `YEARS`); booleans, choices and team
members cannot carry a marker in text, so their keys (`STRUCTURAL_KEYS`) must not appear as keys of
any JSON object a non-reader receives. Select option labels are definitions (every member reads
the form), not content: they carry no marker.

Only the therapist is assigned to the client, so the other therapist reads nothing clinical.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from atendo.accounts.models import User
from atendo.audit.guards import audit_erasure
from atendo.billing.models import Invoice
from atendo.files.models import Attachment
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership, Workspace
from atendo.workspaces.permissions import ALL
from atendo.workspaces.services import member_add, role_create, workspace_create

SLUG = "canary"
EXPORT_FORMATS = ("json", "pdf", "fhir", "zip")
PASSWORD = "correct-horse-battery"
PREFIX = "QZX"
CLINICAL_PERMISSIONS = frozenset({"clinical.read_own", "clinical.read_all", "client.assign", "insights.read"})
AUDITOR_PERMISSIONS = sorted(ALL - CLINICAL_PERMISSIONS)
PHASES = ("pre", "during", "post")
# One number and one year per phase and field, found nowhere else in a response.
NUMBERS = {"pre": "73519.25", "during": "73529.25", "post": "73539.25", "client": "73549.25", "e": "73559.25"}
YEARS = {
    ("pre", "date"): "1931",
    ("pre", "dt"): "1932",
    ("during", "date"): "1933",
    ("during", "dt"): "1934",
    ("post", "date"): "1935",
    ("post", "dt"): "1936",
}
STRUCTURAL_KEYS = frozenset(
    f"{phase}_{kind}" for phase in PHASES for kind in ("bool", "sel", "multi", "who", "img", "file", "sig")
) | {"t_flag"}


def marker(tag: str) -> str:
    return f"{PREFIX}{tag}XZQ"


def png(text: str) -> bytes:
    """A small PNG whose bytes carry `text` (a tEXt chunk), so its bytes are a canary too."""
    info = PngInfo()
    info.add_text("Comment", text)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


@dataclass
class Planted:
    workspace: Workspace
    owner: Membership
    therapist: Membership
    other_therapist: Membership
    assistant: Membership
    auditor: Membership
    client_id: int
    other_client_id: int
    session_id: int
    admin_session_id: int
    therapy_type_id: int
    evaluation_id: int
    admin_evaluation_id: int
    attachment_ids: list[int]
    admin_attachment_id: int
    payment_id: int
    invoice_id: int
    field_ids: dict[str, int]
    # Every text marker planted, and the hidden values a write may try to guess.
    markers: set[str] = field(default_factory=set)
    hidden: dict[str, Any] = field(default_factory=dict)
    # Each persona's exports of the clinical client's record, one per format (`EXPORT_FORMATS`),
    # built by the worker as that persona: a door like any other.
    export_ids: dict[str, list[int]] = field(default_factory=dict)

    @property
    def non_readers(self) -> dict[str, Membership]:
        return {"assistant": self.assistant, "other_therapist": self.other_therapist, "auditor": self.auditor}

    @property
    def readers(self) -> dict[str, Membership]:
        return {"owner": self.owner, "therapist": self.therapist}

    @property
    def members(self) -> dict[str, Membership]:
        return {**self.readers, **self.non_readers}


def _member(workspace: Workspace, email: str) -> Membership:
    return Membership.objects.select_related("workspace", "role", "user").get(
        workspace=workspace, user__email=email
    )


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json() if response.get("Content-Type", "").startswith("application/json") else response


def plant(api_client: Any, export_formats: tuple[str, ...] = EXPORT_FORMATS) -> Planted:
    """Create the canary practice through the API (`api_client(member)` is conftest's ApiClient),
    with each persona's exports of the clinical client in `export_formats` (building them is most
    of the planting's time: a module that reads no export plants none)."""
    workspace = workspace_create(
        name="Clínica Canário",
        slug=SLUG,
        timezone="America/Sao_Paulo",
        owner_email="owner@canary.test",
        owner_password=PASSWORD,
    )
    owner = _member(workspace, "owner@canary.test")
    for email, role, name in (
        ("therapist@canary.test", "Therapist", "Theo Therapist"),
        ("other@canary.test", "Therapist", "Olga Other"),
        ("assistant@canary.test", "Assistant", "Ana Assistant"),
    ):
        member_add(workspace=workspace, actor=None, email=email, role_name=role, password=PASSWORD, name=name)
    role_create(member=owner, name="Auditor", permissions=AUDITOR_PERMISSIONS)
    member_add(
        workspace=workspace,
        actor=None,
        email="auditor@canary.test",
        role_name="Auditor",
        password=PASSWORD,
        name="Aldo Auditor",
    )
    therapist = _member(workspace, "therapist@canary.test")
    other = _member(workspace, "other@canary.test")
    assistant = _member(workspace, "assistant@canary.test")
    auditor = _member(workspace, "auditor@canary.test")
    api = api_client(owner)
    markers: set[str] = set()
    hidden: dict[str, Any] = {}

    def mark(tag: str) -> str:
        value = marker(tag)
        markers.add(value)
        return value

    therapy_type_id = _ok(
        api.post(
            "therapy-types", {"name": "Reiki", "default_duration_minutes": 60, "default_price": "150.00"}
        ),
        201,
    )["id"]
    field_ids: dict[str, int] = {}

    def define(scope: str, key: str, type_: str, *, phase: str | None = None, **extra: Any) -> None:
        body = {"scope": scope, "phase": phase, "key": key, "label": key.replace("_", " "), "type": type_}
        field_ids[key] = _ok(api.post("fields", {**body, **extra}), 201)["id"]

    options = [{"value": "a", "label": "Option A"}, {"value": "b", "label": "Option B"}]
    nested = [{"key": "entry", "label": "Entry", "type": "text"}]
    for phase in PHASES:
        for kind, type_ in (
            ("text", "text"),
            ("area", "textarea"),
            ("num", "number"),
            ("bool", "boolean"),
            ("date", "date"),
            ("dt", "datetime"),
            ("img", "image"),
            ("file", "file"),
            ("sig", "signature"),
            ("who", "team_member"),
        ):
            define("session", f"{phase}_{kind}", type_, phase=phase)
        define("session", f"{phase}_sel", "select", phase=phase, options=options, filterable=True)
        define("session", f"{phase}_multi", "multi_select", phase=phase, options=options)
        define("session", f"{phase}_list", "array", phase=phase, fields=nested)
        define("session", f"{phase}_group", "object", phase=phase, fields=nested)
    define("session", "pre_room", "text", phase="pre", clinical=False)
    define("client", "c_text", "text")
    define("client", "c_num", "number")
    define("client", "c_group", "object", fields=nested)
    define("client", "c_file", "file")
    define("client", "c_ref", "text", clinical=False)
    define("evaluation", "e_text", "text")
    define("evaluation", "e_score", "number")
    define(f"therapy_type:{therapy_type_id}", "t_text", "text")
    define(f"therapy_type:{therapy_type_id}", "t_list", "array", fields=nested)
    define(f"therapy_type:{therapy_type_id}", "t_flag", "boolean")

    def upload(tag: str, kind: str, *, field_key: str | None = None, **form: Any) -> int:
        name = mark(f"name_{tag}")
        content = (
            png(mark(f"bytes_{tag}"))
            if kind in ("image", "signature")
            else (f"laudo {mark(f'bytes_{tag}')}\n".encode())
        )
        suffix = "png" if kind in ("image", "signature") else "txt"
        data = {"file": SimpleUploadedFile(f"{name}.{suffix}", content), "kind": kind, **form}
        if field_key is not None:
            data["field_id"] = field_ids[field_key]
        return int(_ok(api.http.post(api.url("attachments"), data), 201)["id"])

    client_fields = {
        "c_text": mark("c_text"),
        "c_num": float(NUMBERS["client"]),
        "c_group": {"entry": mark("c_group_entry")},
        "c_file": upload("c_file", "file", field_key="c_file"),
        "c_ref": "Prontuário 42",
    }
    client = _ok(
        api.post(
            "clients",
            {"name": "Alice Canary", "fields": client_fields, "practitioner_ids": [therapist.pk]},
        ),
        201,
    )
    client_id = client["id"]
    hidden["client_fields"] = client_fields
    other_client_id = _ok(api.post("clients", {"name": "Bruno Other"}), 201)["id"]

    def phase_values(phase: str) -> dict[str, Any]:
        return {
            f"{phase}_text": mark(f"{phase}_text"),
            f"{phase}_area": f"linha 1\n{mark(f'{phase}_area')}",
            f"{phase}_num": float(NUMBERS[phase]),
            f"{phase}_bool": True,
            f"{phase}_date": f"{YEARS[(phase, 'date')]}-07-19",
            f"{phase}_dt": f"{YEARS[(phase, 'dt')]}-03-04T10:30:00-03:00",
            f"{phase}_sel": "b",
            f"{phase}_multi": ["a", "b"],
            f"{phase}_img": upload(f"{phase}_img", "image", field_key=f"{phase}_img"),
            f"{phase}_file": upload(f"{phase}_file", "file", field_key=f"{phase}_file"),
            f"{phase}_sig": upload(f"{phase}_sig", "signature", field_key=f"{phase}_sig"),
            f"{phase}_who": therapist.pk,
            f"{phase}_list": [{"entry": mark(f"{phase}_list_0")}, {"entry": mark(f"{phase}_list_1")}],
            f"{phase}_group": {"entry": mark(f"{phase}_group_entry")},
        }

    pre = {**phase_values("pre"), "pre_room": "Sala 2"}
    session = _ok(
        api.post(
            "sessions",
            {
                "name": "Sessão de Alice",
                "client_id": client_id,
                "practitioner_id": therapist.pk,
                "therapy_type_id": therapy_type_id,
                "starts_at": "2026-03-10T10:00:00-03:00",
                "duration_minutes": 60,
                "status": "completed",
                "notes": mark("notes"),
                "admin_notes": "Trazer recibo",
                "fields": {"pre": pre},
            },
        ),
        201,
    )["session"]
    session_id = session["id"]
    version = session["version"]
    hidden["phases"] = {"pre": pre}
    for phase in ("during", "post"):
        values = phase_values(phase)
        hidden["phases"][phase] = values
        version = _ok(
            api.put(f"sessions/{session_id}/fields/{phase}", {"version": version, "values": values})
        )["session"]["version"]
    therapy_fields = {
        "t_text": mark("t_text"),
        "t_list": [{"entry": mark("t_list_0")}],
        "t_flag": True,
    }
    recorded = _ok(
        api.post(
            f"sessions/{session_id}/record",
            {
                "version": version,
                "therapy_type_id": therapy_type_id,
                "actual_duration_minutes": 55,
                "notes": mark("notes"),
                "therapy_fields": therapy_fields,
                # Paid: its receipt (recibo) is crawled too, and must carry none of the markers.
                "payment": {"amount": "150.00", "status": "paid", "method": "pix"},
            },
        )
    )
    hidden["notes"] = marker("notes")
    hidden["therapy_fields"] = therapy_fields
    payment_id = recorded["payment"]["id"]
    # Receipts print the client's tax id from the field this names; here a clinical one, which a
    # receipt must never print (whoever downloads it).
    _ok(api.patch("settings", {"client_tax_id_field": "c_text"}))
    admin_session_id = _ok(
        api.post(
            "sessions",
            {
                "name": "Sessão administrativa",
                "client_id": other_client_id,
                "practitioner_id": other.pk,
                "starts_at": "2026-03-11T14:00:00-03:00",
                "duration_minutes": 30,
            },
        ),
        201,
    )["session"]["id"]

    upload("session_file", "file", session_id=session_id, clinical="true")
    upload("client_file", "file", client_id=client_id, clinical="true")
    admin_attachment_id = int(
        _ok(
            api.http.post(
                api.url(f"sessions/{session_id}/attachments"),
                {"file": SimpleUploadedFile("recibo.txt", b"recibo administrativo\n"), "clinical": "false"},
            ),
            201,
        )["id"]
    )
    evaluation_id = _ok(
        api.post(
            "evaluations",
            {
                "client_id": client_id,
                "session_id": session_id,
                "title": mark("evaluation_title"),
                "values": {"e_text": mark("e_text"), "e_score": float(NUMBERS["e"])},
            },
        ),
        201,
    )["id"]
    admin_evaluation_id = _ok(
        api.post(
            "evaluations",
            {
                "client_id": client_id,
                "title": "Ficha administrativa",
                "clinical": False,
                "values": {"e_text": mark("admin_e_text")},
            },
        ),
        201,
    )["id"]
    invoice_id = _ok(api.post("invoices", {"session_ids": [session_id]}), 201)["id"]
    personas = {
        "owner": owner,
        "therapist": therapist,
        "other_therapist": other,
        "assistant": assistant,
        "auditor": auditor,
    }
    export_ids = {
        who: [_plant_export(api_client(member), client_id, format_) for format_ in export_formats]
        for who, member in personas.items()
    }
    all_attachments = list(
        Attachment.objects.for_workspace(workspace)
        .exclude(pk=admin_attachment_id)
        .values_list("pk", flat=True)
    )
    return Planted(
        workspace=workspace,
        owner=owner,
        therapist=therapist,
        other_therapist=other,
        assistant=assistant,
        auditor=auditor,
        client_id=client_id,
        other_client_id=other_client_id,
        session_id=session_id,
        admin_session_id=admin_session_id,
        therapy_type_id=therapy_type_id,
        evaluation_id=evaluation_id,
        admin_evaluation_id=admin_evaluation_id,
        attachment_ids=sorted(set(all_attachments)),
        admin_attachment_id=admin_attachment_id,
        payment_id=payment_id,
        invoice_id=invoice_id,
        field_ids=field_ids,
        markers=markers,
        hidden=hidden,
        export_ids=export_ids,
    )


def _plant_export(api: Any, client_id: int, format_: str) -> int:
    """One export of the client's record by `api`'s member, built at once (the tests' immediate
    task backend runs the worker's job in the request)."""
    export = _ok(api.post("exports", {"kind": "client", "client_id": client_id, "format": format_}), 202)
    assert export["status"] == "ready", export
    return int(export["id"])


def planted_practice(
    django_db_blocker: Any,
    tmp_path_factory: Any,
    api_client: Any,
    export_formats: tuple[str, ...] = EXPORT_FORMATS,
) -> Iterator[Planted]:
    """The body of a module-scoped fixture: plant (committed, with its own attachments folder),
    yield, and remove it all whatever the tests did (their writes roll back with each test)."""
    with override_settings(
        ATTACHMENTS_ROOT=tmp_path_factory.mktemp("canary-files"),
        EXPORTS_ROOT=tmp_path_factory.mktemp("canary-exports"),
    ):
        with django_db_blocker.unblock():
            data = plant(api_client, export_formats)
        try:
            yield data
        finally:
            with django_db_blocker.unblock():
                unplant(data)


def unplant(planted: Planted) -> None:
    """Remove the canary practice (it was committed outside the tests' transactions)."""
    emails = [m.user.email for m in planted.members.values()]
    workspace = planted.workspace
    # In the order the PROTECTed references need (invoices hold sessions, sessions their client and
    # practitioner, memberships their role).
    # The practice's audit trail goes with it, which PostgreSQL refuses outside an erasure of the
    # whole workspace (`audit.guards`).
    with audit_erasure([workspace.pk]):
        Invoice.objects.for_workspace(workspace).delete()
        Session.objects.for_workspace(workspace).delete()
        Membership.objects.for_workspace(workspace).delete()
        workspace.delete()
    User.objects.filter(email__in=emails).delete()
