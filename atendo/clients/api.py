"""API: the `clients` resource — list (search, cursor), create, read, update, archive, delete,
assign/unassign practitioners. Clinical client field values are withheld per reader."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from atendo.clients import importing, selectors, services
from atendo.clients.serializers import client_to_json, clients_to_json, record_clinical_read
from atendo.core.api_schemas import InputSchema
from atendo.core.errors import ValidationFailed
from atendo.core.json_input import loads as decode_json
from atendo.workspaces.api_auth import api_member

router = Router(tags=["clients"])


class ClientOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    birth_date: str | None
    practitioner_ids: list[int]
    archived: bool
    fields: dict[str, Any] = Field(description="Custom client field values by key")
    withheld: list[str] = Field(description="What was removed for this reader, e.g. fields.diagnosis")


class ClientList(Schema):
    items: list[ClientOut]
    next_cursor: str | None


class ClientIn(InputSchema):
    name: str
    email: str = ""
    phone: str = ""
    birth_date: str | None = Field(None, description="YYYY-MM-DD")
    practitioner_ids: list[int] = []
    fields: dict[str, Any] = {}


class ClientPatch(InputSchema):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: str | None = None
    practitioner_ids: list[int] | None = None
    fields: dict[str, Any] | None = Field(
        None, description="Only the keys given change; null removes an optional value"
    )


class AssignIn(InputSchema):
    member_id: int


def _field_filters(request: HttpRequest) -> dict[str, str]:
    return {k[6:]: str(request.GET.get(k)) for k in request.GET if k.startswith("field.") and len(k) > 6}


@router.get("/workspaces/{workspace_slug}/clients", response=ClientList)
def clients_list(
    request: HttpRequest,
    workspace_slug: str,
    q: str = "",
    archived: str = "false",
    practitioner_id: int | None = None,
    cursor: str | None = None,
    limit: int = selectors.DEFAULT_PAGE,
) -> Any:
    """Clients by name. `q` searches name, e-mail and phone; `archived` is false (default), true
    or all; `field.<key>=<value>` filters on a filterable client field. Cursor pagination."""
    member = api_member(request, workspace_slug)
    rows, next_cursor = selectors.clients_page(
        member,
        q=q,
        archived=archived,
        practitioner_id=practitioner_id,
        field_filters=_field_filters(request),
        cursor=cursor,
        limit=limit,
    )
    return {"items": clients_to_json(member, rows), "next_cursor": next_cursor}


@router.post("/workspaces/{workspace_slug}/clients", response={201: ClientOut})
def clients_create(request: HttpRequest, workspace_slug: str, payload: ClientIn) -> Any:
    member = api_member(request, workspace_slug)
    client = services.client_create(member=member, data=payload.model_dump())
    return Status(201, client_to_json(member, selectors.client_get_for(member, client.pk)))


class ImportRowError(Schema):
    row: int = Field(description="The spreadsheet's row number (the header is row 1)")
    path: str = Field(description="The client field, e.g. email or fields.referral")
    column: str = Field(description="The file's column title ('' when no column fills that field)")
    message: str


class ImportFill(Schema):
    path: str = Field(description="The client field the row fills, e.g. phone or fields.cpf")
    column: str


class ImportConflict(ImportFill):
    existing: str | None = Field(
        description="The client's value, which is kept (null for a clinical field: never shown here)"
    )
    file: str = Field(description="The row's different value, which is not imported")


class ImportSkipped(ImportRowError):
    client_id: int | None = Field(None, description="The existing client this row matches")
    client_name: str | None = Field(None, description="That client's name")
    duplicate_of_row: int | None = Field(None, description="The earlier row this row matches")
    matched: list[str] = Field(
        default_factory=list, description="What matched: email, phone, fields.<tax id>"
    )
    action: str = Field("skip", description="What is done with the row: skip, merge or create")
    fills: list[ImportFill] = Field(
        default_factory=list, description="What a merge fills (empty fields only)"
    )
    conflicts: list[ImportConflict] = Field(
        default_factory=list, description="Non-empty values of the client that differ from the row's: kept"
    )


class ImportOut(Schema):
    dry_run: bool
    created: int = Field(description="Clients created (in a dry run: that would be created)")
    merged: int = Field(description="Existing clients completed from a duplicate row (or that would be)")
    rows: int = Field(description="Data rows read from the file")
    mapping: dict[str, str] = Field(description="Column title -> client field, as applied")
    skipped: list[ImportSkipped] = Field(description="The duplicate rows skipped")
    duplicates: list[ImportSkipped] = Field(description="Every duplicate row, with what is done with it")
    errors: list[ImportRowError]


def _json_form(text: str, path: str) -> Any:
    if not text.strip():
        return None
    try:
        return decode_json(text.encode())
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed.single(path, _("This is not valid JSON.")) from None


@router.post("/workspaces/{workspace_slug}/clients/import", response={200: ImportOut, 201: ImportOut})
def clients_import(
    request: HttpRequest,
    workspace_slug: str,
    file: File[UploadedFile],
    mapping: Form[str] = "",
    dry_run: Form[bool] = False,
    sheet: Form[str] = "",
    on_duplicate: Form[str] = "skip",
    duplicates: Form[str] = "",
) -> Any:
    """Import clients from an Excel workbook (.xlsx: its first sheet, or `sheet`) or a CSV file
    (UTF-8 or Windows-1252, `;` or `,`); at most 5 MB and 10,000 rows (413 / 422). `mapping` is
    JSON `{"<column title>": "name" | "email" | "phone" | "birth_date" | "practitioners" |
    "fields.<key>" | null}`; without it the columns are mapped from their titles. `dry_run=true`
    checks every row and writes nothing (200). Otherwise all rows are created in one transaction
    (201), or none: any row in error answers 422 `import_invalid` with `errors`, `skipped` and
    `duplicates` beside the usual `fields`. A row whose e-mail, phone or tax id is that of an
    existing client or an earlier row is a duplicate: `skip` (the default), `merge` (fill the
    existing client's empty fields; different values are kept and listed as `conflicts`) or
    `create`, for every duplicate (`on_duplicate`) or per row (`duplicates`, JSON
    `{"<row>": "skip" | "merge" | "create"}`)."""
    member = api_member(request, workspace_slug)
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > importing.MAX_BYTES + 64 * 1024 or (file.size or 0) > importing.MAX_BYTES:
        raise importing.too_large()
    given = _json_form(mapping, "mapping")
    choices = _json_form(duplicates, "duplicates")
    report = importing.clients_import(
        member=member,
        raw=file.read(importing.MAX_BYTES + 1),
        mapping=given,
        dry_run=dry_run,
        sheet=sheet.strip() or None,
        on_duplicate=on_duplicate,
        duplicates=choices,
    )
    return Status(200 if dry_run else 201, report.as_dict())


@router.get("/workspaces/{workspace_slug}/clients/{client_id}", response=ClientOut)
def clients_detail(request: HttpRequest, workspace_slug: str, client_id: int) -> Any:
    member = api_member(request, workspace_slug)
    client = selectors.client_get_for(member, client_id)
    shown = client_to_json(member, client)
    record_clinical_read(member, client, shown)
    return shown


@router.patch("/workspaces/{workspace_slug}/clients/{client_id}", response=ClientOut)
def clients_update(request: HttpRequest, workspace_slug: str, client_id: int, payload: ClientPatch) -> Any:
    member = api_member(request, workspace_slug)
    data = payload.model_dump(exclude_unset=True)
    if data.get("name", "") is None:
        data.pop("name")
    services.client_update(member=member, client_id=client_id, data=data)
    return client_to_json(member, selectors.client_get_for(member, client_id))


@router.post("/workspaces/{workspace_slug}/clients/{client_id}/archive", response=ClientOut)
def clients_archive(request: HttpRequest, workspace_slug: str, client_id: int) -> Any:
    member = api_member(request, workspace_slug)
    services.client_archive(member=member, client_id=client_id)
    return client_to_json(member, selectors.client_get_for(member, client_id))


@router.post("/workspaces/{workspace_slug}/clients/{client_id}/unarchive", response=ClientOut)
def clients_unarchive(request: HttpRequest, workspace_slug: str, client_id: int) -> Any:
    member = api_member(request, workspace_slug)
    services.client_unarchive(member=member, client_id=client_id)
    return client_to_json(member, selectors.client_get_for(member, client_id))


@router.delete("/workspaces/{workspace_slug}/clients/{client_id}", response={204: None})
def clients_delete(request: HttpRequest, workspace_slug: str, client_id: int) -> Any:
    """Delete a client without sessions; 409 `has_sessions` otherwise (archive instead)."""
    member = api_member(request, workspace_slug)
    services.client_delete(member=member, client_id=client_id)
    return Status(204, None)


@router.post("/workspaces/{workspace_slug}/clients/{client_id}/practitioners", response=ClientOut)
def clients_assign(request: HttpRequest, workspace_slug: str, client_id: int, payload: AssignIn) -> Any:
    member = api_member(request, workspace_slug)
    services.client_assign(member=member, client_id=client_id, practitioner_id=payload.member_id)
    return client_to_json(member, selectors.client_get_for(member, client_id))


@router.delete(
    "/workspaces/{workspace_slug}/clients/{client_id}/practitioners/{member_id}", response=ClientOut
)
def clients_unassign(request: HttpRequest, workspace_slug: str, client_id: int, member_id: int) -> Any:
    member = api_member(request, workspace_slug)
    services.client_unassign(member=member, client_id=client_id, practitioner_id=member_id)
    return client_to_json(member, selectors.client_get_for(member, client_id))
