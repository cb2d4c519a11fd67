"""The audit log is append-only and hash-chained per workspace: the chain verifies, an edited or
deleted row breaks it (edited with raw SQL, the database's own guard switched off as an intruder
with the database would), the ORM and the database refuse changes, concurrent writers never fork
it."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from atendo.accounts.models import User
from atendo.audit import chain, guards
from atendo.audit.models import AppendOnly, AuditEvent, AuditEventClient
from atendo.audit.services import audit_record
from atendo.workspaces.models import Membership, Workspace

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL locks and triggers")


def _events(workspace: Workspace, n: int, member: Membership | None = None) -> list[AuditEvent]:
    return [
        audit_record(workspace=workspace, actor=member, action="test.event", changes={"i": i, "x": [i, "é"]})
        for i in range(n)
    ]


def _guard_off() -> None:
    """What an intruder holding the database does first: switch the append-only guard off (inside
    the test's transaction, so it comes back when the test ends)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on the table
            cursor.execute(f"ALTER TABLE {guards.EVENT_TABLE} DISABLE TRIGGER audit_event_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")


def test_each_workspace_has_its_own_chain_that_verifies(owner, outsider):
    ours = AuditEvent.objects.for_workspace(owner.workspace).count()
    _events(owner.workspace, 3, owner)
    _events(outsider.workspace, 2, outsider)
    events = list(AuditEvent.objects.for_workspace(owner.workspace).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, ours + 4))
    assert events[0].prev_hash == chain.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    for workspace in (owner.workspace, outsider.workspace):
        report = chain.verify(workspace.pk)
        assert (
            report.ok
            and report.head_hash == AuditEvent.objects.for_workspace(workspace).order_by("-seq")[0].hash
        )


def test_an_event_edited_with_raw_sql_breaks_the_chain_there(owner, capsys):
    target = _events(owner.workspace, 3, owner)[1]
    call_command("verify_audit", workspace="serena")
    assert "serena: OK" in capsys.readouterr().out
    _guard_off()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {guards.EVENT_TABLE} SET action = %s WHERE id = %s", ["test.innocent", target.pk]
        )
    report = chain.verify(owner.workspace.pk)
    assert [(b.event_id, b.reason) for b in report.breaks] == [
        (target.pk, "its content was changed after it was written")
    ]
    with pytest.raises(CommandError):
        call_command("verify_audit", workspace="serena")
    out = capsys.readouterr().out
    assert "serena: BROKEN" in out and f"event {target.pk} (#{target.seq})" in out


def test_rewriting_an_event_and_its_hash_still_breaks_the_link_after_it(owner):
    _first, second, third = _events(owner.workspace, 3, owner)
    _guard_off()
    forged = chain.event_hash(second.prev_hash, {**chain.values_of(second), "action": "test.forged"})
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {guards.EVENT_TABLE} SET action = %s, hash = %s WHERE id = %s",
            ["test.forged", forged, second.pk],
        )
    assert [(b.event_id, b.reason) for b in chain.verify(owner.workspace.pk).breaks] == [
        (third.pk, "does not link to the event before it")
    ]


@postgres_only
def test_an_event_deleted_from_the_middle_breaks_the_chain(owner):
    events = _events(owner.workspace, 3, owner)
    _guard_off()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {guards.EVENT_TABLE} WHERE id = %s", [events[1].pk])
    reasons = {b.reason for b in chain.verify(owner.workspace.pk).breaks}
    assert reasons == {
        f"expected event #{events[1].seq} here (missing events)",
        "does not link to the event before it",
    }


def test_the_orm_never_changes_nor_deletes_an_event(owner):
    event = _events(owner.workspace, 1, owner)[0]
    event.action = "test.changed"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="test.changed")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_the_database_refuses_an_update_below_the_orm(owner):
    event = _events(owner.workspace, 1, owner)[0]
    assert guards.installed()  # installed by the post_migrate handler
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {guards.EVENT_TABLE} SET action = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@postgres_only
def test_postgresql_refuses_a_delete_below_the_orm(owner):
    event = _events(owner.workspace, 1, owner)[0]
    AuditEventClient.objects.create(workspace=owner.workspace, event=event, client_id=1, at=event.at)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {guards.EVENT_TABLE} WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {guards.CLIENT_TABLE} WHERE workspace_id = %s", [owner.workspace_id])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_deleting_a_user_keeps_their_events_and_the_chain(owner):
    user = User.objects.create_user(email="gone@serena.test", password="x" * 12)
    event = AuditEvent.objects.create(
        workspace=owner.workspace, actor=user, actor_label=user.email, action="test.by_someone"
    )
    user.delete()  # the foreign key's SET NULL: the one change the log accepts
    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.actor_id, kept.actor_label) == (None, "gone@serena.test")
    assert chain.verify(owner.workspace.pk).ok


def test_a_workspace_erased_whole_takes_its_trail_only_inside_an_erasure(owner, outsider):
    _events(outsider.workspace, 2, outsider)
    workspace = outsider.workspace
    Membership.objects.for_workspace(workspace).delete()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            Workspace.objects.filter(pk=workspace.pk).delete()
    with guards.audit_erasure([workspace.pk]):
        Workspace.objects.filter(pk=workspace.pk).delete()
    assert not AuditEvent.objects.filter(workspace_id=workspace.pk).exists()
    assert chain.verify(owner.workspace.pk).ok  # the others are untouched


def test_verify_audit_checks_the_client_rows_of_read_events(owner, capsys):
    event = AuditEvent.objects.create(
        workspace=owner.workspace, actor_label="x", action="clinical.read", changes={"clients": [7]}
    )
    AuditEventClient.objects.create(workspace=owner.workspace, event=event, client_id=7, at=event.at)
    call_command("verify_audit", workspace="serena")
    AuditEventClient.objects.create(workspace=owner.workspace, event=event, client_id=8, at=event.at)
    with pytest.raises(CommandError):
        call_command("verify_audit", workspace="serena")
    assert "its client rows differ" in capsys.readouterr().out


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(workspace):
    """Eight threads, each its own connection and transactions, append 25 events each to the same
    workspace at once: the advisory lock serializes them into one line."""
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            for i in range(25):
                with transaction.atomic():
                    audit_record(workspace=workspace, actor=None, action="test.concurrent", changes={"i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(AuditEvent.objects.for_workspace(workspace).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 200
    report = chain.verify(workspace.pk)
    assert report.ok, report.breaks
