"""The record-a-session page: therapy type, actual duration, notes, therapy fields and payment, in
one save (`recording.services.session_record`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atendo.billing import services as billing_services
from atendo.billing.forms import PaymentForm, attach_errors
from atendo.core.clean import id_or_none
from atendo.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from atendo.core.http import PageRequest
from atendo.fields.engine import definitions_for
from atendo.fields.forms import FieldValuesForm
from atendo.recording import signing
from atendo.recording.forms import RecordForm
from atendo.recording.services import record_defaults, recordable, session_record
from atendo.scheduling.models import Session
from atendo.scheduling.selectors import session_get_for
from atendo.scheduling.serializers import session_to_json
from atendo.scheduling.services.private_notes import private_note_save
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page


def _therapy_choices(member: Membership, current_id: int | None) -> list[tuple[int, str]]:
    qs = TherapyType.objects.for_workspace(member.workspace).order_by("name")
    return [(tt.pk, tt.name) for tt in qs if tt.active or tt.pk == current_id]


def _selected_therapy_type(
    request: PageRequest, session: Session, choices: list[tuple[int, str]]
) -> int | None:
    raw = request.POST.get("therapy_type") if request.method == "POST" else request.GET.get("therapy_type")
    if raw is None:
        return session.therapy_type_id
    if raw == "":
        return None
    ids = {pk for pk, _label in choices}
    chosen = id_or_none(raw)
    return chosen if chosen in ids else session.therapy_type_id


@workspace_page("session.read", "session.update")
def record(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    """Record a session: therapy type, actual duration, notes, therapy fields and payment, one save."""
    member = request.member
    session = session_get_for(member, session_id)
    back = reverse("scheduling:detail", kwargs={"workspace_slug": workspace_slug, "session_id": session.pk})
    if not recordable(session):
        return render(
            request,
            "recording/record_unavailable.html",
            {"nav": "sessions", "session": session, "back": back},
            status=409,
        )
    # What the form shows comes through the one redaction point, like every other door.
    shown = session_to_json(member, session)
    clinical_ok = "notes" not in shown["withheld"]
    can_pay = member.has_perm("billing.manage")
    choices = _therapy_choices(member, session.therapy_type_id)
    # Another therapy type replaces the session's therapy fields: only their readers may choose one.
    tt_id = _selected_therapy_type(request, session, choices) if clinical_ok else session.therapy_type_id
    therapy_type = (
        TherapyType.objects.for_workspace(member.workspace).filter(pk=tt_id).first() if tt_id else None
    )
    definitions = (
        definitions_for(workspace=member.workspace, scope="therapy_type", therapy_type_id=tt_id)
        if clinical_ok and tt_id
        else []
    )
    defaults = {
        **record_defaults(session),
        "notes": shown.get("notes", ""),
        "therapy_fields": shown.get("therapy_fields", {}),
    }
    existing_payment = session.payment if hasattr(session, "payment") else None  # type: ignore[attr-defined]
    session.therapy_type = therapy_type
    if existing_payment is not None:
        pay_initial = {
            "amount": existing_payment.amount,
            "status": existing_payment.status,
            "method": existing_payment.method,
            "due_date": existing_payment.due_date,
            "paid_date": existing_payment.paid_date,
        }
    else:
        pay_initial = billing_services.payment_defaults(session, member.workspace)
        if pay_initial["amount"] is None:
            pay_initial.pop("amount")
    post = request.POST if request.method == "POST" else None
    form = RecordForm(
        post,
        therapy_choices=choices,
        clinical_ok=clinical_ok,
        initial={
            "version": session.version,
            "therapy_type": tt_id,
            "actual_duration_minutes": defaults["actual_duration_minutes"],
            "notes": defaults["notes"],
            "take_payment": existing_payment is not None or "amount" in pay_initial,
        },
    )
    tf_form = FieldValuesForm(
        member=member,
        definitions=definitions,
        prefix="therapy_fields",
        values=defaults["therapy_fields"] if tt_id == session.therapy_type_id else {},
        can_write_clinical=clinical_ok,
    )
    pay_form = PaymentForm(post, prefix="pay", initial=pay_initial) if can_pay else None
    status = 200
    if request.method == "POST":
        therapy_values = tf_form.parse(request.POST, request.FILES) if clinical_ok else {}
        valid = form.is_valid() & (pay_form.is_valid() if pay_form else True)
        if valid:
            data: dict[str, Any] = {
                "version": form.cleaned_data["version"],
                "actual_duration_minutes": form.cleaned_data["actual_duration_minutes"],
            }
            if clinical_ok:
                data["therapy_type_id"] = form.cleaned_data["therapy_type"]
                data["notes"] = form.cleaned_data.get("notes") or ""
                data["therapy_fields"] = {k: v for k, v in therapy_values.items() if v is not None}
            if pay_form is not None and form.cleaned_data.get("take_payment"):
                data["payment"] = pay_form.to_data()
            try:
                tf_form.raise_upload_errors()
                session_record(member=member, session_id=session.pk, data=data)
            except (ValidationFailed, Conflict, Forbidden) as exc:
                tf_form.add_errors(exc)
                others = [e for e in exc.fields if not e.path.startswith("therapy_fields")]
                if others or not exc.fields:
                    targets: dict[str, Any] = {"payment": pay_form} if pay_form is not None else {}
                    attach_errors(
                        type(exc)(others) if others and isinstance(exc, ValidationFailed) else exc,
                        targets,
                        form,
                    )
                status = exc.status
            else:
                messages.success(request, _("Session recorded."))
                return redirect(back)
        else:
            status = 400
    return render(
        request,
        "recording/record.html",
        {
            "nav": "sessions",
            "session": session,
            "form": form,
            "tf_form": tf_form,
            "pay_form": pay_form,
            "existing_payment": existing_payment,
            "clinical_ok": clinical_ok,
            "therapy_type": therapy_type,
            "back": back,
            "currency": member.workspace.currency,
        },
        status=status,
    )


# --- sign and lock, addenda, private notes (forms of the session page) ------------------------------


def _back(workspace_slug: str, session_id: int, anchor: str = "notes") -> HttpResponse:
    url = reverse("scheduling:detail", kwargs={"workspace_slug": workspace_slug, "session_id": session_id})
    return redirect(f"{url}#{anchor}")


@require_POST
@workspace_page("session.read", "session.update")
def sign(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    """Sign the session's clinical record (the practitioner, from the session page)."""
    # The session first: an id of another workspace is the 404 page, whatever the form sent.
    session_get_for(request.member, session_id)
    try:
        signing.session_sign(
            member=request.member, session_id=session_id, version=id_or_none(request.POST.get("version"))
        )
    except NotFound:  # another workspace's id, or one this member may not see: the 404 page
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The record is signed: it can no longer change; corrections are addenda.")
        )
    return _back(workspace_slug, session_id)


@require_POST
@workspace_page("session.read", "session.update")
def addendum(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    try:
        signing.addendum_add(member=request.member, session_id=session_id, text=request.POST.get("text", ""))
    except NotFound:  # another workspace's id, or one this member may not see: the 404 page
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Addendum added."))
    return _back(workspace_slug, session_id, "addenda")


@require_POST
@workspace_page("session.read")
def private_note(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    """Save the member's own private note (an empty text deletes it)."""
    version = request.POST.get("version")
    try:
        saved = private_note_save(
            member=request.member,
            session_id=session_id,
            text=request.POST.get("text", ""),
            version=int(version) if version and version.isdigit() else None,
        )
    except NotFound:  # another workspace's id, or one this member may not see: the 404 page
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Private note saved.") if saved.version else _("Private note deleted."))
    return _back(workspace_slug, session_id, "private-note")
