"""API: form requests (send, list, get, revoke) and consent documents, under the workspace.

    GET/POST  /workspaces/{slug}/form-requests            ?client_id=&status=
    GET       /workspaces/{slug}/form-requests/{form_request_id}
    POST      /workspaces/{slug}/form-requests/{form_request_id}/revoke
    GET/POST  /workspaces/{slug}/consent-documents
    GET/PATCH /workspaces/{slug}/consent-documents/{consent_document_id}

A request's JSON never holds a submitted value (they are in the record, behind the barrier); an
open request carries its public `url`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from atendo.clients.selectors import client_get_for
from atendo.core.api_schemas import Id, InputSchema
from atendo.core.errors import ValidationFailed
from atendo.core.pagination import DEFAULT_PAGE, keyset_page
from atendo.intake import selectors, services
from atendo.intake.links import request_url
from atendo.intake.models import ConsentDocument, FormRequest
from atendo.workspaces.api_auth import api_member

router = Router(tags=["intake forms"])
WS = "/workspaces/{workspace_slug}"
STATUSES = ("open", "submitted", "expired", "revoked")


class FormRequestOut(Schema):
    id: int
    kind: str
    title: str
    status: str = Field(description="open | submitted | expired | revoked")
    client_id: int
    session_id: int | None
    consent_document_id: int | None
    field_keys: list[str]
    language: str
    sent_by_id: int | None
    practitioner_id: int | None = Field(description="The member the client's values are saved for")
    sent_at: dt.datetime
    expires_at: dt.datetime
    submitted_at: dt.datetime | None
    revoked_at: dt.datetime | None
    url: str | None = Field(description="The public link, while open")
    signer_name: str | None
    text_sha256: str | None
    consent_pdf_id: int | None = Field(description="The signed PDF: an attachment of the client")
    consent_pdf_url: str | None = Field(description="The signed PDF's bytes (the attachments API)")


class FormRequestList(Schema):
    items: list[FormRequestOut]
    next_cursor: str | None


class FormRequestIn(InputSchema):
    kind: str
    client_id: Id
    session_id: Id | None = None
    consent_document_id: Id | None = None
    field_keys: list[str] | None = None
    expires_in_days: int | None = None
    language: str | None = None
    send_email: bool = True
    send_sms: bool = False


class FormRequestCreated(FormRequestOut):
    emailed: bool = Field(description="The link is being e-mailed to the client")
    texted: bool = Field(description="The link is being sent by SMS")


class ConsentDocumentOut(Schema):
    id: int
    title: str
    text: str
    version: int
    previous_id: int | None
    superseded: bool
    archived: bool
    created_at: dt.datetime


class ConsentDocumentList(Schema):
    items: list[ConsentDocumentOut]
    next_cursor: str | None


class ConsentDocumentIn(InputSchema):
    title: str
    text: str


class ConsentDocumentPatch(InputSchema):
    title: str | None = None
    text: str | None = None
    archived: bool | None = None


def request_json(fr: FormRequest) -> dict[str, Any]:
    status = fr.status
    pdf = (
        f"/api/v1/workspaces/{fr.workspace.slug}/attachments/{fr.consent_pdf_id}/content"
        if fr.consent_pdf_id
        else None
    )
    return {
        "id": fr.pk,
        "kind": fr.kind,
        "title": fr.title,
        "status": status,
        "client_id": fr.client_id,
        "session_id": fr.session_id,
        "consent_document_id": fr.consent_document_id,
        "field_keys": list(fr.field_keys or []),
        "language": fr.language,
        "sent_by_id": fr.sent_by_id,
        "practitioner_id": fr.practitioner_id,
        "sent_at": fr.sent_at,
        "expires_at": fr.expires_at,
        "submitted_at": fr.submitted_at,
        "revoked_at": fr.revoked_at,
        "url": request_url(fr) if status == "open" else None,
        "signer_name": fr.signer_name or None,
        "text_sha256": fr.text_sha256 or None,
        "consent_pdf_id": fr.consent_pdf_id,
        "consent_pdf_url": pdf,
    }


def document_json(d: ConsentDocument) -> dict[str, Any]:
    return {
        "id": d.pk,
        "title": d.title,
        "text": d.text,
        "version": d.version,
        "previous_id": d.previous_id,
        "superseded": d.superseded,
        "archived": d.archived,
        "created_at": d.created_at,
    }


@router.get(f"{WS}/form-requests", response=FormRequestList)
def form_requests_list(
    request: HttpRequest,
    workspace_slug: str,
    client_id: Id | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> Any:
    """The forms sent, newest first (`client.read`); optionally one client's, or one status."""
    member = api_member(request, workspace_slug)
    qs = selectors.requests_for(member)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed.single("status", _("status must be open, submitted, expired or revoked."))
        qs = selectors.with_status(qs, status)
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit)
    return {"items": [request_json(r) for r in rows], "next_cursor": next_cursor}


@router.post(f"{WS}/form-requests", response={201: FormRequestCreated})
def form_requests_create(request: HttpRequest, workspace_slug: str, payload: FormRequestIn) -> Any:
    """Send a client a form by link (e-mailed when the client has an address and `send_email`)."""
    member = api_member(request, workspace_slug)
    sent = services.form_request_create(member=member, **payload.model_dump())
    fr = selectors.request_get_for(member, sent.form_request.pk)
    return Status(201, {**request_json(fr), "emailed": sent.emailed, "texted": sent.texted})


@router.get(f"{WS}/form-requests/{{form_request_id}}", response=FormRequestOut)
def form_requests_get(request: HttpRequest, workspace_slug: str, form_request_id: Id) -> Any:
    member = api_member(request, workspace_slug)
    fr = selectors.request_get_for(member, form_request_id)
    client_get_for(member, fr.client_id)
    return request_json(fr)


@router.post(f"{WS}/form-requests/{{form_request_id}}/revoke", response=FormRequestOut)
def form_requests_revoke(request: HttpRequest, workspace_slug: str, form_request_id: Id) -> Any:
    """Withdraw an open form: its link then says so (`client.update`)."""
    member = api_member(request, workspace_slug)
    services.form_request_revoke(member=member, request_id=form_request_id)
    return request_json(selectors.request_get_for(member, form_request_id))


@router.get(f"{WS}/consent-documents", response=ConsentDocumentList)
def consent_documents_list(
    request: HttpRequest,
    workspace_slug: str,
    include_superseded: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> Any:
    """The consent documents (current versions; `include_superseded` for every version)."""
    member = api_member(request, workspace_slug)
    qs = selectors.consent_documents(member, include_superseded=include_superseded).order_by()
    rows, next_cursor = keyset_page(qs, cursor=cursor, limit=limit)
    return {"items": [document_json(d) for d in rows], "next_cursor": next_cursor}


@router.post(f"{WS}/consent-documents", response={201: ConsentDocumentOut})
def consent_documents_create(request: HttpRequest, workspace_slug: str, payload: ConsentDocumentIn) -> Any:
    member = api_member(request, workspace_slug)
    document = services.consent_document_create(member=member, title=payload.title, text=payload.text)
    return Status(201, document_json(document))


@router.get(f"{WS}/consent-documents/{{consent_document_id}}", response=ConsentDocumentOut)
def consent_documents_get(request: HttpRequest, workspace_slug: str, consent_document_id: Id) -> Any:
    member = api_member(request, workspace_slug)
    return document_json(selectors.consent_document_get_for(member, consent_document_id))


@router.patch(f"{WS}/consent-documents/{{consent_document_id}}", response=ConsentDocumentOut)
def consent_documents_patch(
    request: HttpRequest, workspace_slug: str, consent_document_id: Id, payload: ConsentDocumentPatch
) -> Any:
    """Change the title, text or archived flag. A version already sent is kept as it is: the
    answer is then the next version (a new id, `previous_id` the one changed)."""
    member = api_member(request, workspace_slug)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return document_json(
        services.consent_document_update(member=member, document_id=consent_document_id, changes=changes)
    )
