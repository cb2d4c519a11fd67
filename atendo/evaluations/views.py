"""Pages: a client's evaluations (a tab of the client page), new and edit forms rendered from the
evaluation field definitions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atendo.clients.models import Client
from atendo.clinical.access import may_write
from atendo.core.clean import id_or_none
from atendo.core.errors import DomainError, NotFound, ValidationFailed
from atendo.core.http import PageRequest
from atendo.evaluations import selectors, services
from atendo.evaluations.forms import EvaluationForm
from atendo.evaluations.models import Evaluation
from atendo.fields.engine import definitions_for
from atendo.fields.forms import FieldValuesForm
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership
from atendo.workspaces.pages import workspace_page


def _client_or_404(member: Membership, client_id: int) -> Client:
    client = Client.objects.for_workspace(member.workspace).filter(pk=client_id).first()
    if client is None:
        raise Http404
    return client


def _client_url(workspace_slug: str, client_id: int) -> str:
    return reverse("clients:detail", kwargs={"workspace_slug": workspace_slug, "client_id": client_id})


@workspace_page("client.read")
def client_evaluations(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = request.member
    client = _client_or_404(member, client_id)
    rows = list(selectors.evaluations_for(member, client_id=client.pk).order_by("-date", "-pk")[:50])
    items, withheld = selectors.evaluations_to_json(member, rows)
    definitions = definitions_for(workspace=member.workspace, scope="evaluation")
    for item in items:
        nodes = FieldValuesForm(
            member=member, definitions=definitions, prefix="values", values=item["values"]
        ).nodes()
        item["rows"] = [n for n in nodes if n["value"] not in (None, "", [], {})]
    context = {
        "nav": "clients",
        "client": client,
        "evaluations": items,
        "withheld": withheld,
        "can_write": member.has_perm("client.update") and may_write(member, client.pk),
        "client_url": _client_url(workspace_slug, client.pk),
    }
    partial = bool(request.htmx)
    template = "evaluations/_client_evaluations.html" if partial else "evaluations/client_evaluations.html"
    return render(request, template, context)


@workspace_page("client.read", "session.read")
def session_evaluations(request: PageRequest, workspace_slug: str, session_id: int) -> HttpResponse:
    """The evaluations linked to a session (a partial for the session page)."""
    member = request.member
    session = Session.objects.for_workspace(member.workspace).filter(pk=session_id).first()
    if session is None:
        raise Http404
    rows = list(selectors.evaluations_for(member, session_id=session.pk).order_by("-date", "-pk")[:50])
    items, withheld = selectors.evaluations_to_json(member, rows)
    definitions = definitions_for(workspace=member.workspace, scope="evaluation")
    for item in items:
        nodes = FieldValuesForm(
            member=member, definitions=definitions, prefix="values", values=item["values"]
        ).nodes()
        item["rows"] = [n for n in nodes if n["value"] not in (None, "", [], {})]
    context = {
        "nav": "sessions",
        "client": session.client,
        "session_id": session.pk,
        "evaluations": items,
        "withheld": withheld,
        "can_write": member.has_perm("client.update") and may_write(member, session.client_id),
    }
    return render(request, "evaluations/_session_evaluations.html", context)


def _form_page(
    request: PageRequest, member: Membership, client: Client, evaluation: Evaluation | None
) -> HttpResponse:
    definitions = definitions_for(workspace=member.workspace, scope="evaluation")
    tz = member.workspace.tz
    sessions = (
        Session.objects.for_workspace(member.workspace).filter(client=client).order_by("-starts_at")[:100]
    )
    session_choices = [(s.pk, f"{s.starts_at.astimezone(tz):%Y-%m-%d %H:%M} · {s.name}") for s in sessions]
    post = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {"date": timezone.now().astimezone(tz).date(), "clinical": True}
    # The writer reads the evaluation's content (checked by the views below): its plaintext.
    title, stored_values = selectors.evaluation_plain(evaluation) if evaluation is not None else ("", {})
    if evaluation is not None:
        initial = {
            "title": title,
            "date": evaluation.date,
            "session": evaluation.session_id,
            "clinical": evaluation.clinical,
        }
    elif id_or_none(request.GET.get("session")) is not None:
        initial["session"] = id_or_none(request.GET.get("session"))
    form = EvaluationForm(post, session_choices=session_choices, initial=initial)
    values_form = FieldValuesForm(
        member=member,
        definitions=definitions,
        prefix="values",
        values=stored_values,
    )
    status = 200
    if request.method == "POST":
        values = values_form.parse(request.POST, request.FILES)
        if form.is_valid():
            data = {
                "title": form.cleaned_data["title"],
                "date": form.cleaned_data["date"],
                "session_id": form.cleaned_data["session"],
                "clinical": form.cleaned_data["clinical"],
                "values": {k: v for k, v in values.items() if v is not None},
            }
            try:
                values_form.raise_upload_errors()
                if evaluation is None:
                    services.evaluation_create(member=member, data={"client_id": client.pk, **data})
                else:
                    services.evaluation_update(member=member, evaluation_id=evaluation.pk, data=data)
            except ValidationFailed as exc:
                values_form.add_errors(exc)
                for error in exc.fields:
                    head = error.path.split(".")[0].split("[")[0]
                    if head == "values":
                        continue
                    if head == "session_id":
                        form.add_error("session", error.message)
                    elif head in form.fields:
                        form.add_error(head, error.message)
                    else:
                        form.add_error(None, error.message)
                status = 422
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Evaluation saved."))
                return redirect(_client_url(member.workspace.slug, client.pk))
        else:
            status = 400
    return render(
        request,
        "evaluations/evaluation_form.html",
        {
            "nav": "clients",
            "client": client,
            "evaluation": evaluation,
            "form": form,
            "values_form": values_form,
            "has_definitions": bool(definitions),
            "client_url": _client_url(member.workspace.slug, client.pk),
        },
        status=status,
    )


@workspace_page("client.read", "client.update")
def evaluation_new(request: PageRequest, workspace_slug: str, client_id: int) -> HttpResponse:
    member = request.member
    client = _client_or_404(member, client_id)
    if not may_write(member, client.pk):
        return render(request, "403.html", {"message": _("Evaluations are clinical.")}, status=403)
    return _form_page(request, member, client, None)


@workspace_page("client.read", "client.update")
def evaluation_edit(request: PageRequest, workspace_slug: str, evaluation_id: int) -> HttpResponse:
    member = request.member
    evaluation = selectors.evaluation_get_for(member, evaluation_id)
    if not may_write(member, evaluation.client_id):
        return render(request, "403.html", {"message": _("Evaluations are clinical.")}, status=403)
    return _form_page(request, member, evaluation.client, evaluation)


@require_POST
@workspace_page("client.read", "client.update")
def evaluation_delete(request: PageRequest, workspace_slug: str, evaluation_id: int) -> HttpResponse:
    member = request.member
    evaluation = selectors.evaluation_get_for(member, evaluation_id)
    client_id = evaluation.client_id
    try:
        services.evaluation_delete(member=member, evaluation_id=evaluation_id)
    except NotFound:
        raise  # before DomainError, which it is: the page decorator answers 404
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("evaluations:edit", workspace_slug=workspace_slug, evaluation_id=evaluation_id)
    messages.success(request, _("Evaluation deleted."))
    return redirect(_client_url(workspace_slug, client_id))
