"""For the cross-cutting suites: intake objects in a workspace, and the public links to crawl.

- `tests/test_tenant_isolation.py` (`ID_FACTORIES`): `form_request_id`, `consent_document_id`.
- `tests/test_clinical_canary.py` (`_ids`): in the planted practice, a pre-session form of the
  planted clinical session (its stored clinical values must never reach the public page) and a
  consent, open; their ids and their links' tokens.
"""

from __future__ import annotations

from typing import Any


def consent_document_id(owner: Any) -> int:
    from atendo.intake.models import ConsentDocument
    from atendo.intake.services import consent_document_create

    found = ConsentDocument.objects.for_workspace(owner.workspace_id).filter(superseded=False).first()
    if found is not None:
        return found.pk
    return consent_document_create(member=owner, title="Consent", text="The consent text.").pk


def form_request_id(owner: Any) -> int:
    from atendo.clients.models import Client
    from atendo.intake.services import form_request_create

    client = Client.objects.for_workspace(owner.workspace_id).first() or Client.objects.create(
        workspace=owner.workspace, name="Isolated Client"
    )
    return form_request_create(
        member=owner,
        kind="consent",
        client_id=client.pk,
        consent_document_id=consent_document_id(owner),
        send_email=False,
    ).form_request.pk


def planted_requests(planted: Any) -> list[Any]:
    """The planted practice's form requests (made once per test transaction)."""
    from atendo.intake.models import FormRequest
    from atendo.intake.services import form_request_create

    found = list(FormRequest.objects.for_workspace(planted.workspace).order_by("pk"))
    if found:
        return found
    pre = form_request_create(
        member=planted.owner,
        kind="pre_session",
        client_id=planted.client_id,
        session_id=planted.session_id,
        send_email=False,
    ).form_request
    consent = FormRequest.objects.get(pk=form_request_id(planted.owner))
    fields = form_request_create(
        member=planted.assistant, kind="client_fields", client_id=planted.client_id, send_email=False
    ).form_request
    return [pre, consent, fields]


def planted_tokens(planted: Any) -> list[str]:
    from atendo.intake.links import make_token

    return [make_token(workspace_id=r.workspace_id, request_id=r.pk) for r in planted_requests(planted)]
