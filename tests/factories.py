"""The one way tests build tenant data: factory_boy factories (`from tests.factories import …`).

The rule:

- **A factory goes through the service wherever the service keeps an invariant of the data.**
  `WorkspaceFactory` → `workspace_create` (the three default roles and the first owner),
  `MemberFactory` → `member_add`, `RoleFactory` → `role_create` (known permission codes),
  `FieldDefinitionFactory` → `field_create` (a definition the engine accepts; `archived=True`
  then `field_archive`), `SessionFactory` → `session_create` (`ends_at`, the first status in the
  history, pre-session values validated, who gets assigned, the audit; `during` / `post` values
  through `session_save_phase`), `PaymentFactory` → `payment_create`, `InvoiceFactory` →
  `invoice_create` (then `invoice_issue` / `invoice_mark_paid` / `invoice_void` for its status),
  `EvaluationFactory` → `evaluation_create`, `AttachmentFactory` → `attachment_create` (real bytes,
  sniffed and stored on disk under `settings.ATTACHMENTS_ROOT`, a temporary directory per test run).
  Each acts as `by`, a member (default: the workspace's owner; for a session, its practitioner
  when they may book, so that booking widens nobody's access, exactly as the service decides).
- **Rows with nothing to keep are written by the model**: `ClientFactory` (its `save()` keeps the
  phone digits; `practitioners=[…]` writes the assignments), `TherapyTypeFactory`.
- **`StoredSessionFactory` writes a session row directly** (`ends_at` computed from the duration),
  for tests ABOUT READING a state: many rows for a list, query counts or a benchmark; a session
  already recorded; clinical values a reader must never see. Never for a test about a behaviour:
  that test goes through the doors (the API or the pages), as a user would.
- A test that must set up a state the services refuse (a pattern stored before re2, a value kept
  from an older rule) writes it with the model, says why in a comment, and only reads it.
- Clinical content is stored sealed (`atendo.clinical.crypto`): to check what a write kept or
  changed, read the column with `unsealed(obj, "notes")`, never the raw attribute.

Every factory creates (there is no unsaved "build": the services are the point). A session starts,
by default, yesterday at the current hour (completed, since it has taken place); give `starts_at`
(an aware datetime or ISO text) or `days_ago` (negative: in the future).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import factory
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from atendo.billing.models import Invoice, Payment
from atendo.billing.services import (
    invoice_create,
    invoice_issue,
    invoice_mark_paid,
    invoice_void,
    payment_create,
)
from atendo.clients.models import Client
from atendo.clinical import crypto
from atendo.clinical.models import ClientPractitioner
from atendo.evaluations.models import Evaluation
from atendo.evaluations.services import evaluation_create
from atendo.fields.models import FieldDefinition
from atendo.fields.services import field_archive, field_create
from atendo.files.models import Attachment
from atendo.files.services import attachment_create
from atendo.scheduling.models import Session
from atendo.scheduling.sealing import store_plain
from atendo.scheduling.services import session_create, session_save_phase
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership, Role, Workspace
from atendo.workspaces.services import member_add, role_create, workspace_create

PASSWORD = "correct-horse-battery"


# --- helpers ---------------------------------------------------------------------------------------


def member_of(workspace: Workspace | int, email: str) -> Membership:
    """The membership of `email` in `workspace`, with what every service reads already loaded."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return Membership.objects.select_related("workspace", "role", "user").get(
        workspace_id=workspace_id, user__email=email
    )


def owner_of(workspace: Workspace | int) -> Membership:
    """The workspace's first owner (the one `workspace_create` made)."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return (
        Membership.objects.select_related("workspace", "role", "user")
        .filter(workspace_id=workspace_id, role__is_owner=True, is_active=True)
        .order_by("pk")
        .first()
    ) or _missing_owner(workspace_id)


def _missing_owner(workspace_id: int) -> Membership:
    raise LookupError(f"Workspace {workspace_id} has no active owner to act for the factory.")


def ago(days: float, *, at: dt.datetime | None = None) -> dt.datetime:
    """Now (or `at`) minus `days`, to the second: `ago(-3)` is three days ahead."""
    return ((at or timezone.now()) - dt.timedelta(days=days)).replace(microsecond=0)


def png_bytes(size: tuple[int, int] = (4, 3), color: str = "#4f7cac") -> bytes:
    """A real PNG image (what an image or signature field accepts)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes(text: str = "Atendo") -> bytes:
    """A small, real one-page PDF."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PDF", title=text)
    return buffer.getvalue()


class ServiceFactory(factory.Factory):
    """A factory whose objects are made by a service (see the module docstring): create only."""

    class Meta:
        abstract = True

    @classmethod
    def _build(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{cls.__name__} creates through a service; call it (or .create()), not .build().")


# --- workspaces, roles, members -------------------------------------------------------------------


class WorkspaceFactory(ServiceFactory):
    """`WorkspaceFactory(slug="outra", timezone="Europe/Lisbon")`: default roles and an owner
    (`owner@<slug>.test`, password `PASSWORD`); `owner_of(workspace)` gives that member."""

    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Prática {n}")
    slug = factory.Sequence(lambda n: f"pratica-{n}")
    timezone = "America/Sao_Paulo"
    owner_email = factory.LazyAttribute(lambda o: f"owner@{o.slug}.test")
    owner_password = PASSWORD
    currency = "BRL"
    language = "en"

    @classmethod
    def _create(cls, model_class: Any, **kwargs: Any) -> Workspace:
        return workspace_create(**kwargs)


class RoleFactory(ServiceFactory):
    """`RoleFactory(workspace=ws, name="Reception", permissions=["client.read"])` via `role_create`."""

    class Meta:
        model = Role

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Role {n}")
    permissions: Sequence[str] = ()
    by = None

    @classmethod
    def _create(cls, model_class: Any, *, workspace: Workspace, by: Membership | None, **kwargs: Any) -> Role:
        return role_create(member=by or owner_of(workspace), **kwargs)


class MemberFactory(ServiceFactory):
    """`MemberFactory(workspace=ws, role="Assistant")` -> a Membership (role by name, or a Role), via
    `member_add` as a command would (no acting member); its user logs in with `PASSWORD`."""

    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    email = factory.Sequence(lambda n: f"member{n}@example.test")
    name = factory.Sequence(lambda n: f"Membro {n}")
    role: Any = "Therapist"
    password = PASSWORD

    @classmethod
    def _create(
        cls, model_class: Any, *, workspace: Workspace, role: str | Role, **kwargs: Any
    ) -> Membership:
        if isinstance(role, Role):
            member_add(workspace=workspace, actor=None, role_id=role.pk, **kwargs)
        else:
            member_add(workspace=workspace, actor=None, role_name=role, **kwargs)
        return member_of(workspace, kwargs["email"])


# --- clients and therapy types (plain rows) -------------------------------------------------------


class ClientFactory(factory.django.DjangoModelFactory):
    """`ClientFactory(workspace=ws, practitioners=[therapist])`: a client row and its assignments
    (no e-mail, phone or fields unless given, as the model leaves them)."""

    class Meta:
        model = Client
        skip_postgeneration_save = True

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Cliente {n}")

    @factory.post_generation
    def practitioners(
        obj: Client, create: bool, extracted: Sequence[Membership] | None, **kwargs: Any
    ) -> None:
        for member in extracted or ():
            ClientPractitioner.objects.create(workspace_id=obj.workspace_id, client=obj, member=member)


class TherapyTypeFactory(factory.django.DjangoModelFactory):
    """`TherapyTypeFactory(workspace=ws, name="Reiki", default_price=Decimal("150.00"))`; without
    them, no default duration and no price, as the model leaves them."""

    class Meta:
        model = TherapyType

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Terapia {n}")


# --- field definitions ------------------------------------------------------------------------------


class FieldDefinitionFactory(ServiceFactory):
    """`FieldDefinitionFactory(workspace=ws, scope="session", phase="during", key="mood", type="text")`.

    Via `field_create` as `by` (default the owner): `children` are the nested definitions of an
    array or object (the API's `fields`), `therapy_type` a TherapyType for its scope; everything
    else is the API's definition (`options`, `validation`, `required`, `clinical`, `filterable`,
    `order`, `description`). `archived=True` archives it afterwards.
    """

    class Meta:
        model = FieldDefinition

    workspace = factory.SubFactory(WorkspaceFactory)
    scope = "session"
    phase = factory.LazyAttribute(lambda o: "pre" if o.scope == "session" else None)
    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.LazyAttribute(lambda o: o.key.replace("_", " ").capitalize())
    type = "text"
    therapy_type = None
    children = None
    archived = False
    by = None

    @classmethod
    def _create(
        cls,
        model_class: Any,
        *,
        workspace: Workspace,
        scope: str,
        phase: str | None,
        therapy_type: TherapyType | None,
        children: list[dict[str, Any]] | None,
        archived: bool,
        by: Membership | None,
        **data: Any,
    ) -> FieldDefinition:
        member = by or owner_of(workspace)
        if therapy_type is not None:
            scope = "therapy_type"
        if children is not None:
            data["fields"] = children
        definition = field_create(
            member=member,
            scope=scope,
            phase=phase if scope == "session" else None,
            therapy_type_id=therapy_type.pk if therapy_type is not None else None,
            data=data,
        )
        if archived:
            definition = field_archive(member=member, definition_id=definition.pk)
        return definition


# --- sessions ------------------------------------------------------------------------------------------


def _workspace_of(o: Any) -> Workspace:
    for related in (o.client, o.practitioner, o.by):
        if related is not None:
            return related.workspace
    return WorkspaceFactory()


def _past_or_future_status(o: Any) -> str:
    start = o.starts_at if isinstance(o.starts_at, dt.datetime) else dt.datetime.fromisoformat(o.starts_at)
    if start.tzinfo is None:
        start = start.replace(tzinfo=o.workspace.tz)
    return "completed" if start <= timezone.now() else "scheduled"


class SessionFactory(ServiceFactory):
    """`SessionFactory(client=c, practitioner=therapist, therapy_type=reiki, days_ago=2)` via
    `session_create`, booked by `by` (default: the practitioner when they may book, else the owner).

    Defaults: the workspace's owner as practitioner, a new client, yesterday at this hour, status
    completed in the past and scheduled in the future, 60 minutes. `pre` values go in the create;
    `during` / `post` values are saved afterwards, each phase on its own, by the same member.
    """

    class Meta:
        model = Session

    class Params:
        days_ago = 1

    client = None
    practitioner = None
    by = None
    workspace = factory.LazyAttribute(_workspace_of)
    name = "Sessão"
    therapy_type = None
    starts_at = factory.LazyAttribute(lambda o: ago(o.days_ago))
    duration_minutes = 60
    status = factory.LazyAttribute(_past_or_future_status)
    notes = ""
    admin_notes = ""
    pre = None
    during = None
    post = None

    @classmethod
    def _create(
        cls,
        model_class: Any,
        *,
        workspace: Workspace,
        client: Client | None,
        practitioner: Membership | None,
        by: Membership | None,
        therapy_type: TherapyType | None,
        pre: dict[str, Any] | None,
        during: dict[str, Any] | None,
        post: dict[str, Any] | None,
        **kwargs: Any,
    ) -> Session:
        client = client or ClientFactory(workspace=workspace)
        practitioner = practitioner or owner_of(workspace)
        if by is None:
            by = practitioner if practitioner.has_perm("session.create") else owner_of(workspace)
        session = session_create(
            member=by,
            client_id=client.pk,
            practitioner_id=practitioner.pk,
            therapy_type_id=therapy_type.pk if therapy_type is not None else None,
            fields={"pre": pre} if pre is not None else None,
            **kwargs,
        ).session
        for phase, values in (("during", during), ("post", post)):
            if values is not None:
                session = session_save_phase(
                    member=by, session_id=session.pk, phase=phase, values=values, version=session.version
                ).session
        return session


class StoredSessionFactory(factory.django.DjangoModelFactory):
    """A session row written directly (`ends_at` = start + duration), for tests about READING a
    state (see the module docstring). Any model field may be given: `during_fields`,
    `therapy_fields`, `recorded_at`…; no status history, no audit, no assignment."""

    class Meta:
        model = Session

    class Params:
        days_ago = 1

    client = factory.SubFactory(ClientFactory)
    workspace = factory.SelfAttribute("client.workspace")
    practitioner = factory.LazyAttribute(lambda o: owner_of(o.workspace))
    name = "Sessão"
    starts_at = factory.LazyAttribute(lambda o: ago(o.days_ago))
    duration_minutes = 60
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=o.duration_minutes))
    status = factory.LazyAttribute(lambda o: "completed" if o.starts_at <= timezone.now() else "scheduled")
    created_by = factory.SelfAttribute("practitioner")

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Session:
        # Clinical content is sealed at rest with the row's id: the row first, then its notes and
        # values sealed exactly as the services store them (`scheduling.sealing.store_plain`).
        notes = kwargs.pop("notes", None)
        phases = {p: kwargs.pop(f"{p}_fields") for p in ("pre", "during", "post") if f"{p}_fields" in kwargs}
        therapy_fields = kwargs.pop("therapy_fields", None)
        session = super()._create(model_class, *args, **kwargs)
        store_plain(session, notes=notes, phases=phases, therapy_fields=therapy_fields)
        return session


# --- billing ----------------------------------------------------------------------------------------


class PaymentFactory(ServiceFactory):
    """`PaymentFactory(session=s, status="paid", method="pix")` via `payment_create` as `by`
    (default the owner). Unset values take the service's defaults (the therapy type's price, the
    workspace's due days); `amount` may be a Decimal or text."""

    class Meta:
        model = Payment

    session = factory.SubFactory(SessionFactory)
    by = None
    amount = None
    status = None
    method = None
    due_date = None
    paid_date = None

    @classmethod
    def _create(cls, model_class: Any, *, session: Session, by: Membership | None, **values: Any) -> Payment:
        data = {key: _as_json(value) for key, value in values.items() if value is not None}
        return payment_create(member=by or owner_of(session.workspace_id), session_id=session.pk, data=data)


class InvoiceFactory(ServiceFactory):
    """`InvoiceFactory(sessions=[s1, s2], status="issued")` via `invoice_create` as `by` (default
    the owner), then `invoice_issue`, `invoice_mark_paid` (`method`, default pix) or `invoice_void`."""

    class Meta:
        model = Invoice

    sessions = factory.LazyFunction(lambda: [SessionFactory()])
    by = None
    notes = ""
    status = "draft"
    method = "pix"

    @classmethod
    def _create(
        cls,
        model_class: Any,
        *,
        sessions: Sequence[Session],
        by: Membership | None,
        notes: str,
        status: str,
        method: str,
    ) -> Invoice:
        member = by or owner_of(sessions[0].workspace_id)
        invoice = invoice_create(member=member, session_ids=[s.pk for s in sessions], notes=notes)
        if status in ("issued", "paid", "void"):
            invoice = invoice_issue(member=member, invoice_id=invoice.pk)
        if status == "paid":
            invoice = invoice_mark_paid(member=member, invoice_id=invoice.pk, method=method)
        elif status == "void":
            invoice = invoice_void(member=member, invoice_id=invoice.pk)
        elif status not in ("draft", "issued"):
            raise ValueError(f"Unknown invoice status {status!r}: draft, issued, paid or void.")
        return invoice


# --- evaluations and attachments ------------------------------------------------------------------


class EvaluationFactory(ServiceFactory):
    """`EvaluationFactory(client=c, session=s, values={"score": 7})` via `evaluation_create` as
    `by` (default the owner; the service needs clinical access to the client). `date` defaults to
    today, as in the service."""

    class Meta:
        model = Evaluation

    client = factory.SubFactory(ClientFactory)
    session = None
    by = None
    title = "Avaliação inicial"
    date = None
    values = factory.LazyFunction(dict)
    clinical = True

    @classmethod
    def _create(
        cls, model_class: Any, *, client: Client, session: Session | None, by: Membership | None, **data: Any
    ) -> Evaluation:
        data = {key: _as_json(value) for key, value in data.items() if value is not None}
        if session is not None:
            data["session_id"] = session.pk
        return evaluation_create(
            member=by or owner_of(client.workspace_id), data={"client_id": client.pk, **data}
        )


class AttachmentFactory(ServiceFactory):
    """`AttachmentFactory(client=c)` / `(session=s, content=png_bytes(), kind="image")`: real bytes
    through `attachment_create` as `by` (default the owner), sniffed and stored on disk. With
    neither a client nor a session, give `workspace` (an upload not yet claimed by a record)."""

    class Meta:
        model = Attachment

    client = None
    session = None
    workspace = factory.LazyAttribute(
        lambda o: (o.client or o.session).workspace if (o.client or o.session) else WorkspaceFactory()
    )
    by = None
    name = "laudo.txt"
    content = b"Laudo de avaliacao\n"
    kind = "file"
    clinical = True

    @classmethod
    def _create(
        cls,
        model_class: Any,
        *,
        workspace: Workspace,
        by: Membership | None,
        name: str,
        content: bytes,
        **kwargs: Any,
    ) -> Attachment:
        return attachment_create(
            member=by or owner_of(workspace), uploaded_file=SimpleUploadedFile(name, content), **kwargs
        )


def _as_json(value: Any) -> Any:
    """What a door would send: dates as ISO text, money as text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- reading back what was stored -------------------------------------------------------------------


def unsealed(instance: Any, field: str) -> Any:
    """What the database holds in `instance.<field>` now (read afresh), opened exactly as the
    services open it (`clinical.crypto`): for tests that check a write kept or changed a clinical
    value, which is stored sealed (a token, `{"$ae": …}` envelopes, sealed bytes on disk).

    A sealed text column gives its text, a JSON column of custom-field values a dict of plain
    values, an attachment's `storage_name` the plaintext bytes of its file. A column that is not
    sealed — or not for this row (a non-clinical evaluation's title or attachment's name) — comes
    back as stored (for `storage_name`: the file's bytes as they are). A ciphertext that does not
    open where it is raises `crypto.Undecryptable`, as it would for a reader."""
    model = type(instance)
    column_name = model._meta.get_field(field).column
    table = model._meta.db_table
    column = next((c for c in crypto.COLUMNS if (c.table, c.column) == (table, column_name)), None)
    names = [field, "workspace_id"] + ([column.only_if] if column and column.only_if else [])
    row = model._base_manager.filter(pk=instance.pk).values(*names).get()
    stored = row[field]
    sealed_here = column is not None and (not column.only_if or row[column.only_if])
    if column is not None and column.kind == "file":
        data = (Path(settings.ATTACHMENTS_ROOT) / stored).read_bytes()
        return crypto.open_data(row["workspace_id"], column, instance.pk, data) if sealed_here else data
    if column is None or not sealed_here:
        return stored
    if column.kind == "text":
        return crypto.open_text(row["workspace_id"], column, instance.pk, stored)
    return crypto.open_values(row["workspace_id"], column, instance.pk, stored)
