"""The purge at the end of retention: the periodic task and `manage.py purge_expired [--dry-run]`."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from atendo.audit.models import AuditEvent
from atendo.billing.models import Invoice, Payment
from atendo.clients.models import Client
from atendo.evaluations.models import Evaluation
from atendo.files.models import Attachment
from atendo.files.services import attachment_storage
from atendo.retention.models import DataRequest
from atendo.retention.services import client_erase, expired_clients, policy_update
from atendo.retention.tasks import purge_expired_clients
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership, Workspace
from tests.factories import (
    AttachmentFactory,
    ClientFactory,
    EvaluationFactory,
    InvoiceFactory,
    PaymentFactory,
    StoredSessionFactory,
    ago,
)

pytestmark = pytest.mark.django_db

YEAR = 365.25
OLD_NAME = "Carlos Antigo"


def _created(client: Client, days: float) -> Client:
    Client.objects.filter(pk=client.pk).update(created_at=ago(days))
    return client


@pytest.fixture
def practice(workspace: Workspace, owner: Membership, therapist: Membership) -> dict[str, Any]:
    old = _created(ClientFactory(workspace=workspace, name=OLD_NAME, practitioners=[therapist]), 7 * YEAR)
    old_session = StoredSessionFactory(
        client=old, practitioner=therapist, days_ago=6 * YEAR, notes="Notas antigas"
    )
    StoredSessionFactory(client=old, practitioner=therapist, days_ago=6.5 * YEAR)
    PaymentFactory(session=old_session, amount="150.00", status="paid", method="pix")
    EvaluationFactory(client=old, session=old_session, title="Avaliação antiga")
    files = [AttachmentFactory(client=old), AttachmentFactory(session=old_session, name="sessao.txt")]
    invoice = InvoiceFactory(sessions=[old_session], status="issued")
    Invoice.objects.filter(pk=invoice.pk).update(issue_date=dt.date(2019, 6, 1))

    recent = _created(ClientFactory(workspace=workspace, name="Rita Recente"), 7 * YEAR)
    StoredSessionFactory(client=recent, practitioner=therapist, days_ago=6 * YEAR)
    StoredSessionFactory(client=recent, practitioner=therapist, days_ago=1 * YEAR)

    never = _created(ClientFactory(workspace=workspace, name="Nunca Veio"), 6 * YEAR)
    new = ClientFactory(workspace=workspace, name="Nova Cliente")

    held = _created(ClientFactory(workspace=workspace, name="Fiscal Retido"), 7 * YEAR)
    held_session = StoredSessionFactory(client=held, practitioner=therapist, days_ago=6 * YEAR)
    InvoiceFactory(sessions=[held_session], status="issued")  # issued today: fiscal retention runs
    return {
        "old": old,
        "old_session": old_session,
        "files": files,
        "invoice": invoice,
        "recent": recent,
        "never": never,
        "new": new,
        "held": held,
    }


def _counts() -> dict[str, int]:
    return {
        "clients": Client.objects.count(),
        "sessions": Session.objects.count(),
        "payments": Payment.objects.count(),
        "invoices": Invoice.objects.count(),
        "evaluations": Evaluation.objects.count(),
        "attachments": Attachment.objects.count(),
        "requests": DataRequest.objects.count(),
        "events": AuditEvent.objects.count(),
    }


def test_expired_clients_follow_the_rule(workspace, practice):
    expired = set(expired_clients(workspace).values_list("pk", flat=True))
    assert expired == {practice["old"].pk, practice["never"].pk}


def test_a_longer_period_keeps_them(owner, workspace, practice):
    policy_update(member=owner, data={"years": 8})
    assert not expired_clients(workspace).exists()


def test_the_dry_run_reports_and_changes_nothing(practice, django_capture_on_commit_callbacks):
    before = _counts()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_expired", "--dry-run", stdout=out)
    report = out.getvalue()
    assert f"serena client {practice['old'].pk} " in report and "would purge sessions=2" in report
    assert f"serena client {practice['never'].pk} " in report
    assert f"client {practice['recent'].pk} " not in report and f"client {practice['held'].pk} " not in report
    assert "2 client(s) would purge" in report
    assert OLD_NAME not in report
    assert _counts() == before
    assert all(attachment_storage().exists(a.storage_name) for a in practice["files"])


def test_the_purge_deletes_the_rows_and_the_files(practice, django_capture_on_commit_callbacks):
    old = practice["old"]
    names = [a.storage_name for a in practice["files"]]
    assert all(attachment_storage().exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_expired_clients.call() == 2
    assert not Client.objects.filter(pk__in=[old.pk, practice["never"].pk]).exists()
    assert not Session.objects.filter(client_id=old.pk).exists()
    assert not Payment.objects.filter(session_id=practice["old_session"].pk).exists()
    assert not Evaluation.objects.filter(client_id=old.pk).exists()
    assert not Invoice.objects.filter(pk=practice["invoice"].pk).exists()
    assert not Attachment.objects.filter(pk__in=[a.pk for a in practice["files"]]).exists()
    assert not any(attachment_storage().exists(n) for n in names)
    # The others stay.
    assert Client.objects.filter(pk__in=[practice[k].pk for k in ("recent", "new", "held")]).count() == 3
    assert Session.objects.filter(client_id=practice["recent"].pk).count() == 2


def test_each_purge_is_logged_with_counts_never_content(practice, django_capture_on_commit_callbacks):
    old = practice["old"]
    with django_capture_on_commit_callbacks(execute=True):
        purge_expired_clients.call()
    entry = DataRequest.objects.get(client_id=old.pk)
    assert (entry.kind, entry.asked_by, entry.status, entry.recorded_by) == (
        "purge",
        "retention",
        "done",
        None,
    )
    assert entry.details["sessions"] == 2 and entry.details["payments"] == 1
    assert entry.details["evaluations"] == 1 and entry.details["attachments"] == 2
    assert entry.details["invoices"] == 1 and entry.details["invoice_numbers"] == [practice["invoice"].number]
    event = AuditEvent.objects.get(action="client.purge", object_id=str(old.pk))
    text = json.dumps([event.object_label, event.changes, entry.details, entry.note], ensure_ascii=False)
    for content in (OLD_NAME, "Notas antigas", "Avaliação antiga", "laudo", "sessao"):
        assert content not in text
    assert DataRequest.objects.filter(kind="purge").count() == 2


def test_an_erased_client_is_purged_when_retention_ends(owner, practice, django_capture_on_commit_callbacks):
    client_erase(member=owner, client_id=practice["old"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        purge_expired_clients.call()
    assert not Client.objects.filter(pk=practice["old"].pk).exists()
    kinds = list(
        DataRequest.objects.filter(client_id=practice["old"].pk).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["erasure", "purge"]
    assert (
        DataRequest.objects.get(client_id=practice["old"].pk, kind="purge").details["erased_before"] is True
    )


def test_the_purge_of_one_workspace_leaves_another_alone(
    practice, outsider, django_capture_on_commit_callbacks
):
    theirs = _created(ClientFactory(workspace=outsider.workspace, name="Deles"), 1 * YEAR)
    with django_capture_on_commit_callbacks(execute=True):
        purge_expired_clients.call()
    assert Client.objects.filter(pk=theirs.pk).exists()
    assert not DataRequest.objects.filter(workspace=outsider.workspace).exists()


def test_the_purge_runs_daily():
    from atendo.core.periodic import periodic_of

    assert periodic_of(purge_expired_clients).interval == dt.timedelta(days=1)
