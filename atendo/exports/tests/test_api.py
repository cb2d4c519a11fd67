"""The exports API and the job's life: asking (202, validation at the field's path, 404 for a
client of another practice, a recent sign-in for an export with clinical content), the status,
the download for its own member only, the audit and the read audit, too many at once, expiry and
deletion of the files on disk, the periodic sweep, failures, and the worker's task on the
database backend run by `manage.py db_worker`."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from atendo.audit.models import AuditEvent
from atendo.exports import kinds, runner, services, storage
from atendo.exports.models import Export, ExportStatus
from atendo.exports.tasks import run_export
from atendo.workspaces.models import Membership
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db

NOTES = "Relata insônia desde março"


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path):
    """Each test's export files in their own directory (ids repeat between rolled-back tests)."""
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


@pytest.fixture
def record(owner, therapist):
    """A client assigned to the therapist, with one completed session and its notes."""
    client = ClientFactory(workspace=owner.workspace, name="Carla Cliente", practitioners=[therapist])
    SessionFactory(client=client, practitioner=therapist, notes=NOTES)
    return client


@pytest.fixture
def queued_only(settings):
    """A backend that keeps what is enqueued and runs nothing: the export stays queued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def ask(api, member, client, format_="json", **extra):
    return api(member).post("exports", {"kind": "client", "client_id": client.pk, "format": format_, **extra})


def content_of(response) -> bytes:
    return b"".join(response.streaming_content)


def error(response):
    return response.json()["error"]


# --- asking, reading, downloading ----------------------------------------------------------------


def test_the_owner_asks_reads_and_downloads_an_export(api, owner, record):
    response = ask(api, owner, record)
    assert response.status_code == 202
    export = response.json()
    assert export["status"] == "ready"  # the tests' immediate backend runs the job at once
    assert (export["kind"], export["format"], export["client_id"]) == ("client", "json", record.pk)
    assert export["client_name"] == "Carla Cliente"
    assert export["withheld"] == [] and export["error"] is None
    assert export["download_url"] == f"/api/v1/workspaces/serena/exports/{export['id']}/download"
    assert api(owner).get(f"exports/{export['id']}").json() == export
    listed = api(owner).get("exports").json()
    assert [e["id"] for e in listed["items"]] == [export["id"]] and listed["next_cursor"] is None

    download = api(owner).get(export["download_url"])
    assert download.status_code == 200
    raw = content_of(download)
    assert len(raw) == export["size"] and hashlib.sha256(raw).hexdigest() == export["sha256"]
    assert json.loads(raw)["sessions"][0]["notes"] == NOTES
    assert download["Cache-Control"] == "private, no-store"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert api(owner).get(f"exports/{export['id']}").json()["downloaded_at"] is not None


def test_the_file_on_disk_is_under_the_root_readable_by_the_server_only(api, owner, record, settings):
    export = Export.objects.get(pk=ask(api, owner, record).json()["id"])
    path = storage.path_of(export.storage_name)
    assert path.is_file() and settings.EXPORTS_ROOT in path.parents
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert NOTES not in export.storage_name + export.file_name + json.dumps(export.params)


def test_each_door_is_audited_and_the_download_noted_by_the_read_audit(api, owner, record):
    export_id = ask(api, owner, record).json()["id"]
    content_of(api(owner).get(f"exports/{export_id}/download"))
    events = AuditEvent.objects.filter(
        workspace=owner.workspace, action__startswith="export.", object_id=str(export_id)
    )
    assert [(e.action, e.actor_id) for e in events.order_by("seq")] == [
        ("export.request", owner.user_id),
        ("export.ready", None),
        ("export.download", owner.user_id),
    ]
    assert all(e.client_id == record.pk for e in events)
    assert all(NOTES not in json.dumps(e.changes) for e in events)
    reads = AuditEvent.objects.filter(workspace=owner.workspace, action="clinical.read", actor=owner.user)
    # The download of the file, and the worker's reads as the member (the session's notes: the
    # immediate backend of the tests runs the job inside the request, so they join its batch).
    assert any(e.changes.get("exports") == [export_id] for e in reads)
    assert any(e.changes.get("sessions") and e.changes["clients"] == [record.pk] for e in reads)


def test_an_export_without_clinical_content_is_not_a_clinical_read(api, assistant, record):
    export = ask(api, assistant, record).json()
    assert "notes" in export["withheld"]
    raw = content_of(api(assistant).get(export["download_url"]))
    assert NOTES not in raw.decode()
    reads = AuditEvent.objects.filter(workspace=assistant.workspace, action="clinical.read")
    assert [e.changes for e in reads if "exports" in e.changes] == []


@pytest.mark.parametrize("who", ["therapist", "other_therapist", "assistant"])
def test_another_members_export_is_a_404_even_for_a_reader(api, owner, record, request, who):
    member = request.getfixturevalue(who)
    export_id = ask(api, owner, record).json()["id"]
    for response in (
        api(member).get(f"exports/{export_id}"),
        api(member).get(f"exports/{export_id}/download"),
        api(member).delete(f"exports/{export_id}"),
    ):
        assert response.status_code == 404 and error(response)["code"] == "not_found"
    assert api(member).get("exports").json()["items"] == []
    assert Export.objects.filter(pk=export_id).exists()


def test_the_owner_cannot_take_a_therapists_export_either(api, owner, therapist, record):
    export_id = ask(api, therapist, record).json()["id"]
    assert api(owner).get(f"exports/{export_id}/download").status_code == 404


def test_an_outsider_gets_404(api, owner, outsider, record):
    export_id = ask(api, owner, record).json()["id"]
    assert api(outsider, "serena").get(f"exports/{export_id}").status_code == 404
    response = api(outsider).get(f"exports/{export_id}")  # the id under their own practice
    assert response.status_code == 404


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,path",
    [
        ({"client_id": 1}, "kind"),
        ({"kind": "everything", "client_id": 1}, "kind"),
        ({"kind": "client", "format": "docx"}, "format"),
        ({"kind": "client", "format": 7}, "format"),
        ({"kind": "client"}, "client_id"),
        ({"kind": "client", "client_id": "abc"}, "client_id"),
        ({"kind": "client", "client_id": 0}, "client_id"),
        ({"kind": "client", "client_id": "CLIENT", "options": {"pages": 3}}, "options.pages"),
        ({"kind": "client", "client_id": "CLIENT", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_at_its_path(api, owner, record, body, path):
    body = {k: (record.pk if v == "CLIENT" else v) for k, v in body.items()}
    response = api(owner).post("exports", body)
    assert response.status_code == 422, response.content
    fields = error(response)["fields"]
    assert path in [f["path"] for f in fields], fields
    assert all(f["message"] for f in fields)
    assert not Export.objects.exists()


def test_bad_json_is_a_400(api, owner):
    response = api(owner).http.post(
        "/api/v1/workspaces/serena/exports", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_a_client_of_another_practice_is_a_404(api, owner, other_workspace):
    foreign = ClientFactory(workspace=other_workspace, name="Alheia")
    response = api(owner).post("exports", {"kind": "client", "client_id": foreign.pk})
    assert response.status_code == 404
    assert not Export.objects.exists()


def test_without_client_read_there_is_no_client_export(api, owner, workspace, record):
    from tests.factories import MemberFactory, RoleFactory

    RoleFactory(workspace=workspace, name="Agenda", permissions=["session.read"])
    member = MemberFactory(workspace=workspace, email="agenda@serena.test", role="Agenda")
    response = ask(api, member, record)
    assert response.status_code == 403
    assert not Export.objects.exists()


# --- a recent sign-in -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "therapist"])
def test_an_export_with_clinical_content_needs_a_sensitive_token(api, record, request, who):
    member = request.getfixturevalue(who)
    response = ask(lambda m: api(m, scopes=[]), member, record)
    assert response.status_code == 403
    assert error(response)["code"] == "reauth_required"
    assert not Export.objects.exists()
    assert ask(api, member, record).status_code == 202  # the sensitive scope may


@pytest.mark.parametrize("who", ["assistant", "other_therapist"])
def test_an_export_without_clinical_content_needs_no_recent_sign_in(api, record, request, who):
    member = request.getfixturevalue(who)
    response = ask(lambda m: api(m, scopes=[]), member, record)
    assert response.status_code == 202
    assert "notes" in response.json()["withheld"]


def test_the_browser_api_call_with_a_stale_sign_in_is_refused(owner, record, page_client):
    from atendo.accounts import signin

    client = page_client(owner)
    session = client.session
    session[signin.AUTH_AT] -= signin.reauth_window() + 60
    session.save()
    response = client.post(
        "/api/v1/workspaces/serena/exports",
        {"kind": "client", "client_id": record.pk, "format": "pdf"},
        content_type="application/json",
    )
    assert response.status_code == 403 and error(response)["code"] == "reauth_required"


# --- waiting, too many, not ready -------------------------------------------------------------------


def test_a_queued_export_is_not_ready_and_a_member_may_have_three_on_the_way(
    api, owner, record, queued_only, settings
):
    settings.EXPORT_MAX_ACTIVE = 3
    ids = [ask(api, owner, record, f).json()["id"] for f in ("json", "pdf", "fhir")]
    assert {e.status for e in Export.objects.filter(pk__in=ids)} == {"queued"}
    response = api(owner).get(f"exports/{ids[0]}/download")
    assert response.status_code == 409 and error(response)["code"] == "not_ready"
    assert api(owner).get(f"exports/{ids[0]}").json()["download_url"] is None
    fourth = ask(api, owner, record, "zip")
    assert fourth.status_code == 409 and error(fourth)["code"] == "too_many_exports"
    assert runner.run(ids[0]) == "ready"
    assert ask(api, owner, record, "zip").status_code == 202  # one finished: room for another


def test_a_job_delivered_twice_runs_once(api, owner, record, queued_only):
    export_id = ask(api, owner, record).json()["id"]
    assert runner.run(export_id) == "ready"
    first = Export.objects.get(pk=export_id)
    assert runner.run(export_id) == "skipped"
    assert Export.objects.get(pk=export_id).storage_name == first.storage_name
    assert runner.run(10**9) == "skipped"


# --- failures ---------------------------------------------------------------------------------------


def test_a_member_deactivated_before_the_run_gets_a_failed_export_and_no_file(
    api, therapist, record, queued_only
):
    export_id = ask(api, therapist, record).json()["id"]
    Membership.objects.filter(pk=therapist.pk).update(is_active=False)
    assert runner.run(export_id) == "failed"
    export = Export.objects.get(pk=export_id)
    assert (export.status, export.error_code, export.storage_name) == ("failed", "member_inactive", "")
    assert list(storage.stored_files()) == []
    assert AuditEvent.objects.filter(action="export.fail", object_id=str(export_id)).exists()


def test_an_unexpected_error_fails_the_export_with_a_generic_message_and_leaves_no_part(
    api, owner, record, queued_only, caplog
):
    def broken(job: kinds.Job) -> None:
        job.out.write(b"half a file")
        raise RuntimeError(f"bug while writing {NOTES}")

    kinds.register(
        kinds.ExportKind(
            name="broken",
            label="Broken",
            formats={"json": kinds.JSON},
            prepare=lambda member, request: kinds.Prepared(),
            write=broken,
        )
    )
    try:
        response = api(owner).post("exports", {"kind": "broken", "format": "json"})
        assert response.status_code == 202
        assert runner.run(response.json()["id"]) == "failed"
    finally:
        kinds._KINDS.pop("broken")
    shown = api(owner).get(f"exports/{response.json()['id']}").json()
    assert shown["status"] == "failed" and shown["error"]["code"] == "export_error"
    assert NOTES not in json.dumps(shown)
    assert list(storage.stored_files()) == []  # the .part was deleted
    assert "Export" in caplog.text


# --- deleting, expiry and the sweep -------------------------------------------------------------------


def test_deleting_an_export_deletes_its_file_at_once(api, owner, record, django_capture_on_commit_callbacks):
    export = Export.objects.get(pk=ask(api, owner, record).json()["id"])
    path = storage.path_of(export.storage_name)
    assert path.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(owner).delete(f"exports/{export.pk}")
    assert response.status_code == 204
    assert not path.exists()
    assert not Export.objects.filter(pk=export.pk).exists()
    assert AuditEvent.objects.filter(action="export.delete", object_id=str(export.pk)).exists()
    assert api(owner).get(f"exports/{export.pk}").status_code == 404


def test_an_export_expires_and_its_file_is_deleted(api, owner, record, settings):
    settings.EXPORT_TTL_HOURS = 2
    export = Export.objects.get(pk=ask(api, owner, record).json()["id"])
    assert export.expires_at - export.finished_at == runner.ttl()
    path = storage.path_of(export.storage_name)
    assert services.exports_sweep(now=export.expires_at - runner.ttl() / 2)["expired"] == 0
    assert path.is_file()
    counts = services.exports_sweep(now=export.expires_at)
    assert counts["expired"] == 1
    assert not path.exists()
    shown = api(owner).get(f"exports/{export.pk}").json()
    assert (shown["status"], shown["download_url"], shown["size"]) == ("expired", None, None)
    response = api(owner).get(f"exports/{export.pk}/download")
    assert response.status_code == 409 and error(response)["code"] == "expired"
    assert services.exports_sweep(now=export.expires_at)["expired"] == 0  # idempotent


def test_the_sweep_fails_interrupted_jobs_and_deletes_orphan_files(api, owner, record, queued_only, settings):
    stuck = Export.objects.get(pk=ask(api, owner, record).json()["id"])
    Export.objects.filter(pk=stuck.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now() - timezone.timedelta(hours=7)
    )
    live = Export.objects.get(pk=ask(api, owner, record, "pdf").json()["id"])
    assert runner.run(live.pk) == "ready"
    live.refresh_from_db()
    orphan = storage.path_of(storage.new_name(owner.workspace_id))
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left by a crash")
    fresh_orphan = storage.path_of(storage.new_name(owner.workspace_id) + storage.PART)
    fresh_orphan.write_bytes(b"being written right now")
    old = time.time() - 2 * 3600
    os.utime(orphan, (old, old))
    os.utime(storage.path_of(live.storage_name), (old, old))

    counts = services.exports_sweep()
    assert counts == {"expired": 0, "interrupted": 1, "orphans": 1}
    stuck.refresh_from_db()
    assert (stuck.status, stuck.error_code) == ("failed", "interrupted")
    assert not orphan.exists()
    assert fresh_orphan.exists()  # younger than an hour: perhaps a job still writing
    assert storage.path_of(live.storage_name).is_file()


def test_the_sweep_is_a_periodic_task(settings):
    from atendo.core import periodic
    from atendo.exports.tasks import SWEEP_INTERVAL, sweep_exports

    assert periodic.periodic_of(sweep_exports).interval == SWEEP_INTERVAL


# --- the worker on the database backend -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_builds_a_queued_export(owner, therapist, settings):
    """As in production: the request queues a `run_export` row in its transaction; `db_worker`
    (the project's command: periodic tasks first) claims and builds it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = ClientFactory(workspace=owner.workspace, name="Carla Cliente", practitioners=[therapist])
    SessionFactory(client=client, practitioner=therapist, notes=NOTES)
    export = services.export_request(member=owner, kind="client", format="pdf", client_id=client.pk)
    export.refresh_from_db()
    assert export.status == "queued"
    task_row = DBTaskResult.objects.get(task_path=run_export.module_path)
    assert task_row.args_kwargs["args"] == [export.pk]

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    export.refresh_from_db()
    assert export.status == "ready", (export.error_code, export.error_message)
    assert storage.path_of(export.storage_name).read_bytes().startswith(b"%PDF")
    assert DBTaskResult.objects.get(pk=task_row.pk).status == "SUCCESSFUL"
    # The job's reads are the member's, recorded by the read audit under the job's name.
    reads = AuditEvent.objects.filter(action="clinical.read", actor=owner.user)
    assert [e.changes["door"] for e in reads] == [f"export #{export.pk}"]
