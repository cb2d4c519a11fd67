"""Planning and sending reminders through real servers on loopback: exactly once, retries, DST,
quiet hours, consent, and never any clinical content."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import connection

from atendo.audit.models import AuditEvent
from atendo.reminders import sending
from atendo.reminders.models import ClientReminderPrefs, Notification, NotificationStatus
from atendo.reminders.phones import to_e164
from atendo.reminders.tests.servers import RATE_LIMITED, UNDELIVERABLE
from atendo.scheduling.models import Session
from atendo.scheduling.services.status import session_cancel
from atendo.workspaces.models import Membership
from tests.factories import ClientFactory, SessionFactory

pytestmark = pytest.mark.django_db
SP = zoneinfo.ZoneInfo("America/Sao_Paulo")


def _session(workspace, therapist, *, starts_at=None, **client) -> Session:
    c = ClientFactory(
        workspace=workspace,
        name=client.pop("name", "Maria Souza"),
        email=client.pop("email", "maria@example.com"),
        phone=client.pop("phone", "(11) 98765-4321"),
    )
    starts_at = starts_at or (dt.datetime.now(SP) + dt.timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    owner = Membership.objects.for_workspace(workspace).get(role__name="Owner")
    return SessionFactory(
        client=c,
        practitioner=therapist,
        by=owner,
        starts_at=starts_at,
        name="QZXnameXZQ",
        notes="QZXnotesXZQ",
    )


def _run(now):
    sending.plan_due(now)
    return sending.send_due(now)


def test_the_reminder_goes_by_email_and_whatsapp_once(workspace, therapist, reminders_on, smtp, whatsapp):
    session = _session(workspace, therapist)
    now = session.starts_at - dt.timedelta(hours=24) + dt.timedelta(minutes=1)
    assert _run(now) == 2
    assert _run(now + dt.timedelta(minutes=1)) == 0  # a second run sends nothing again
    assert len(smtp.messages) == 1 and len(whatsapp.requests) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "maria@example.com"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    local = session.starts_at.astimezone(SP)
    assert "Maria" in body and "Theo Therapist" in body and "Clínica Serena" in body
    assert local.strftime("%H:%M") in body and "/r/" in body
    sent = whatsapp.requests[0]
    assert sent["to"] == "5511987654321"
    assert sent["template"]["name"] == "session_reminder"
    params = [p["text"] for p in sent["template"]["components"][0]["parameters"]]
    assert params[0] == "Maria" and params[2] == local.strftime("%H:%M") and params[3] == "Theo Therapist"
    rows = Notification.objects.for_workspace(workspace).filter(session=session)
    assert {(r.channel, r.status, r.offset_minutes) for r in rows} == {
        ("email", "sent", 1440),
        ("whatsapp", "sent", 1440),
    }
    assert rows.get(channel="whatsapp").provider_message_id == "wamid.TEST000001"
    assert AuditEvent.objects.filter(workspace=workspace, action="notification.sent").count() == 2


def test_a_reminder_never_carries_clinical_content(workspace, therapist, reminders_on, smtp, whatsapp):
    session = _session(workspace, therapist)
    _run(session.starts_at - dt.timedelta(hours=2))
    assert len(smtp.messages) == 1 and len(whatsapp.requests) == 1
    assert "QZX" not in smtp.messages[0].as_string()
    assert "QZX" not in str(whatsapp.requests[0])


def test_the_second_offset_is_its_own_reminder(workspace, therapist, reminders_on, smtp, whatsapp):
    session = _session(workspace, therapist)
    _run(session.starts_at - dt.timedelta(hours=24))
    _run(session.starts_at - dt.timedelta(hours=2))
    assert len(smtp.messages) == 2
    assert sorted(
        Notification.objects.filter(session=session, channel="email").values_list("offset_minutes", flat=True)
    ) == [120, 1440]


def test_nothing_for_cancelled_past_or_opted_out_sessions(workspace, therapist, reminders_on, smtp, whatsapp):
    cancelled = _session(workspace, therapist)
    session_cancel(
        workspace=workspace, member=None, session_id=cancelled.pk, by="practice", actor_label="test"
    )
    opted = _session(workspace, therapist, name="Otto Out", email="otto@example.com")
    ClientReminderPrefs.objects.create(
        workspace=workspace,
        client=opted.client,
        email_opt_out_at=dt.datetime.now(dt.UTC),
        email_opt_out_how="test",
    )
    now = opted.starts_at - dt.timedelta(hours=2)
    _run(now)
    assert [m["To"] for m in smtp.messages] == []
    assert [r["to"] for r in whatsapp.requests] == ["5511987654321"]  # Otto still gets WhatsApp
    assert not Notification.objects.filter(session=cancelled).exists()


def test_cancelling_a_session_cancels_its_waiting_reminders(
    workspace, therapist, reminders_on, smtp, whatsapp
):
    session = _session(workspace, therapist)
    now = session.starts_at - dt.timedelta(hours=2)
    sending.plan_due(now)
    session_cancel(workspace=workspace, member=None, session_id=session.pk, by="client", actor_label="test")
    assert sending.send_due(now) == 0
    assert set(Notification.objects.filter(session=session).values_list("status", flat=True)) == {"cancelled"}
    assert smtp.messages == []


def test_moving_a_session_plans_its_reminders_anew(workspace, therapist, reminders_on, smtp, whatsapp, owner):
    session = _session(workspace, therapist)
    _run(session.starts_at - dt.timedelta(hours=2))
    new_start = session.starts_at + dt.timedelta(days=1)
    Session.objects.filter(pk=session.pk).update(
        starts_at=new_start, ends_at=new_start + dt.timedelta(hours=1)
    )
    _run(new_start - dt.timedelta(hours=2))
    assert len(smtp.messages) == 2
    assert Notification.objects.filter(session=session, channel="email", status="sent").count() == 2


def test_a_late_worker_sends_what_still_matters_and_skips_the_rest(
    workspace, therapist, reminders_on, smtp, whatsapp
):
    session = _session(workspace, therapist)
    # The worker was down from before the 24 h reminder until 3 hours before: too late for the
    # 24 h one (more than half of it lost), the 2 h one is not due yet.
    _run(session.starts_at - dt.timedelta(hours=3))
    assert smtp.messages == []
    _run(session.starts_at - dt.timedelta(hours=13))  # earlier: 11 hours late, still within half
    assert len(smtp.messages) == 1


def test_dst_a_day_before_is_the_same_wall_clock_time():
    # Clocks go forward in New York at 02:00 on 2026-03-08: a 09:00 session that morning is
    # reminded at 09:00 on the 7th, 23 hours before.
    ny = zoneinfo.ZoneInfo("America/New_York")
    start = dt.datetime(2026, 3, 8, 9, 0, tzinfo=ny)
    due = sending.due_at(start.astimezone(dt.UTC), 1440, ny)
    assert due.astimezone(ny) == dt.datetime(2026, 3, 7, 9, 0, tzinfo=ny)
    assert start - due == dt.timedelta(hours=23)
    # Minutes are minutes: 2 hours before is 07:00.
    assert sending.due_at(start, 120, ny).astimezone(ny).hour == 7


def test_dst_reminder_is_planned_at_nine_the_day_before(
    settings, workspace, therapist, reminders_on, smtp, whatsapp
):
    workspace.timezone = "America/New_York"
    workspace.save()
    ny = zoneinfo.ZoneInfo("America/New_York")
    # Clocks go forward at 02:00 on 2027-03-14.
    session = _session(workspace, therapist, starts_at=dt.datetime(2027, 3, 14, 9, 0, tzinfo=ny), phone="")
    sending.plan_due(dt.datetime(2027, 3, 13, 8, 59, tzinfo=ny))
    assert not Notification.objects.filter(session=session).exists()
    assert _run(dt.datetime(2027, 3, 13, 9, 0, tzinfo=ny)) == 1
    row = Notification.objects.get(session=session)
    assert row.due_at.astimezone(ny) == dt.datetime(2027, 3, 13, 9, 0, tzinfo=ny)
    assert session.starts_at - row.due_at == dt.timedelta(hours=23)


@pytest.mark.parametrize("offsets", [[1440, 120], [4320, 30], [2880, 1440, 60]])
def test_the_scan_plans_every_reminder_due_around_a_change_of_the_clocks(
    workspace, therapist, reminders_on, offsets
):
    """The scan reads only the sessions whose reminders can be due (windows around each offset);
    what it plans is what the rule gives over every session: a session every 70 minutes across
    three days around New York's spring change, scanned every 110 minutes."""
    workspace.timezone = "America/New_York"
    workspace.save()
    reminders_on.channels = ["email"]
    reminders_on.offsets_minutes = offsets
    reminders_on.save()
    ny = zoneinfo.ZoneInfo("America/New_York")
    first = dt.datetime(2027, 3, 12, 0, 0, tzinfo=ny).astimezone(dt.UTC)
    sessions = [
        _session(workspace, therapist, starts_at=first + dt.timedelta(minutes=70 * i), phone="")
        for i in range(3 * 24 * 60 // 70)
    ]
    planned: set[tuple[int, int]] = set()
    expected: set[tuple[int, int]] = set()
    now = first - dt.timedelta(days=3)
    while now < first + dt.timedelta(days=3):
        sending.plan_workspace(sending.settings_of(workspace), now)
        planned |= set(Notification.objects.values_list("session_id", "offset_minutes"))
        for session in sessions:
            for offset in offsets:
                due = sending.due_at(session.starts_at, offset, ny)
                if session.starts_at > now and due <= now and now - due <= dt.timedelta(minutes=offset / 2):
                    expected.add((session.pk, offset))
        now += dt.timedelta(minutes=110)
    assert planned == expected and len(expected) > len(sessions)


def test_quiet_hours_hold_whatsapp_not_email(workspace, therapist, reminders_on, smtp, whatsapp):
    reminders_on.quiet_start, reminders_on.quiet_end = dt.time(21, 0), dt.time(8, 0)
    reminders_on.offsets_minutes = [1440]
    reminders_on.save()
    start = (dt.datetime.now(SP) + dt.timedelta(days=3)).replace(hour=7, minute=0, second=0, microsecond=0)
    session = _session(workspace, therapist, starts_at=start)
    due = start - dt.timedelta(days=1)  # 07:00 the day before: quiet
    _run(due)
    assert len(smtp.messages) == 1 and whatsapp.requests == []
    row = Notification.objects.get(session=session, channel="whatsapp")
    assert row.next_attempt_at.astimezone(SP).time() == dt.time(8, 0)
    _run(due.replace(hour=8))
    assert len(whatsapp.requests) == 1


def test_a_rate_limit_is_retried_with_backoff(workspace, therapist, reminders_on, smtp, whatsapp):
    reminders_on.channels = ["whatsapp"]
    reminders_on.save()
    whatsapp.script = [RATE_LIMITED, RATE_LIMITED]
    session = _session(workspace, therapist)
    now = session.starts_at - dt.timedelta(hours=2)
    assert _run(now) == 0
    row = Notification.objects.get(session=session)
    assert (row.status, row.attempts, row.error_code) == ("pending", 1, "whatsapp_130429")
    assert row.next_attempt_at == now + dt.timedelta(minutes=1)
    assert sending.send_due(now) == 0  # not before its time
    assert sending.send_due(now + dt.timedelta(minutes=1)) == 0  # rate-limited again
    row.refresh_from_db()
    assert row.next_attempt_at == now + dt.timedelta(minutes=6)
    assert sending.send_due(now + dt.timedelta(minutes=6)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error_code) == ("sent", 3, "")
    assert len(whatsapp.requests) == 3


def test_a_permanent_failure_is_recorded_and_visible(
    workspace, therapist, reminders_on, smtp, whatsapp, api, owner
):
    reminders_on.channels = ["whatsapp"]
    reminders_on.save()
    whatsapp.script = [UNDELIVERABLE]
    session = _session(workspace, therapist)
    _run(session.starts_at - dt.timedelta(hours=2))
    row = Notification.objects.get(session=session)
    assert (row.status, row.error_code) == ("failed", "whatsapp_131026")
    items = api(owner).get("notifications", session_id=session.pk).json()["items"]
    assert [(i["status"], i["error_code"]) for i in items] == [("failed", "whatsapp_131026")]


def test_an_unreachable_smtp_server_is_retried_then_fails(settings, workspace, therapist, reminders_on):
    reminders_on.channels = ["email"]
    reminders_on.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False
    session = _session(workspace, therapist)
    now = session.starts_at - dt.timedelta(hours=2)
    sending.plan_due(now)
    for minutes in (0, 1, 6, 21, 81):
        sending.send_due(now + dt.timedelta(minutes=minutes))
    row = Notification.objects.get(session=session)
    assert (row.status, row.attempts) == ("failed", sending.MAX_ATTEMPTS)


def test_a_worker_killed_after_claiming_neither_loses_nor_doubles(
    workspace, therapist, reminders_on, smtp, whatsapp
):
    reminders_on.channels = ["email"]
    reminders_on.save()
    session = _session(workspace, therapist)
    now = session.starts_at - dt.timedelta(hours=2)
    sending.plan_due(now)
    row = Notification.objects.get(session=session)
    assert sending.claim(row.pk, now) is not None  # the worker claims it, then dies before sending
    assert sending.send_due(now + dt.timedelta(minutes=1)) == 0  # inside its lease: nobody else sends it
    assert smtp.messages == []
    assert sending.send_due(now + sending.LEASE + dt.timedelta(seconds=1)) == 1
    assert sending.send_due(now + sending.LEASE + dt.timedelta(minutes=5)) == 0
    assert len(smtp.messages) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_stale_claimant_cannot_overwrite_the_new_one(workspace, therapist, reminders_on, smtp):
    reminders_on.channels = ["email"]
    reminders_on.save()
    session = _session(workspace, therapist)
    now = session.starts_at - dt.timedelta(hours=2)
    sending.plan_due(now)
    row = Notification.objects.get(session=session)
    old = sending.claim(row.pk, now)
    new = sending.claim(row.pk, now + sending.LEASE + dt.timedelta(seconds=1))
    assert old and new and old != new
    sending._finish(row.pk, old, status=NotificationStatus.FAILED)
    row.refresh_from_db()
    assert row.status == "sending"


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_each_reminder_once(workspace, therapist, reminders_on, smtp, whatsapp):
    sessions = [
        _session(workspace, therapist, name=f"Client {i} Racer", email=f"c{i}@example.com") for i in range(6)
    ]
    now = max(s.starts_at for s in sessions) - dt.timedelta(hours=2)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            sending.plan_due(now)
            sending.send_due(now)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(m["To"] for m in smtp.messages) == sorted(f"c{i}@example.com" for i in range(6))
    assert len(whatsapp.requests) == 6
    assert Notification.objects.filter(status="sent").count() == 12


def test_phone_numbers_become_e164():
    assert to_e164("(11) 98765-4321", "BR") == "+5511987654321"
    assert to_e164("+55 11 98765 4321") == "+5511987654321"
    assert to_e164("(415) 555-2671", "US") == "+14155552671"
    assert to_e164("12345", "BR") is None
    assert to_e164("not a phone", "BR") is None
    assert to_e164("98765-4321") is None  # no country: needs its "+"


def test_a_client_without_a_valid_phone_gets_email_only(workspace, therapist, reminders_on, smtp, whatsapp):
    session = _session(workspace, therapist, phone="123")
    _run(session.starts_at - dt.timedelta(hours=2))
    assert len(smtp.messages) == 1 and whatsapp.requests == []


def test_the_preferred_channel_narrows_the_channels(workspace, therapist, reminders_on, smtp, whatsapp):
    session = _session(workspace, therapist)
    ClientReminderPrefs.objects.create(
        workspace=workspace, client=session.client, channel="whatsapp", language="en"
    )
    _run(session.starts_at - dt.timedelta(hours=2))
    assert smtp.messages == [] and len(whatsapp.requests) == 1
    assert whatsapp.requests[0]["template"]["language"]["code"] == "en_US"


def test_the_workspace_language_chooses_the_text(workspace, therapist, reminders_on, smtp, whatsapp):
    workspace.language = "pt-BR"
    workspace.save()
    session = _session(workspace, therapist)
    _run(session.starts_at - dt.timedelta(hours=2))
    assert str(smtp.messages[0]["Subject"]).strip().startswith("Lembrete: sua sessão em")
    assert whatsapp.requests[0]["template"]["language"]["code"] == "pt_BR"


def test_confirming_sends_the_client_an_invite_once(workspace, therapist, reminders_on, smtp):
    import icalendar
    from django.test import Client as HttpClient

    from atendo.reminders.links import make_token

    workspace.language = "pt-BR"
    workspace.save()
    session = _session(workspace, therapist)
    session.video_url = "https://meet.example.com/maria"
    session.save()
    link = (
        "/r/"
        + make_token(workspace_id=workspace.pk, session_id=session.pk, starts_at=session.starts_at)
        + "/"
    )
    assert HttpClient().post(link, {"action": "confirm"}).status_code == 200
    HttpClient().post(link, {"action": "confirm"})  # a second click makes no second e-mail
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert sending.send_due(now) == 1 and sending.send_due(now) == 0
    [mail] = [m for m in smtp.messages if m["To"] == "maria@example.com"]
    subject = str(mail["Subject"]).strip()
    months = "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro"
    local = session.starts_at.astimezone(SP)
    month = months.split()[local.month - 1]
    assert subject == f"Confirmada: sua sessão em {local.day} de {month} de {local.year} às 10:00"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "está confirmada" in body and "https://meet.example.com/maria" in body and "/r/" in body
    [invite] = [part for part in mail.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert invite.get_filename() == "sessao.ics"
    cal = icalendar.Calendar.from_ical(invite.get_content())
    assert cal["method"] == "PUBLISH"
    [event] = cal.walk("VEVENT")
    assert str(event["uid"]) == f"session-{session.pk}@serena.atendo"
    assert event["dtstart"].dt == session.starts_at and str(event["dtstart"].dt.tzinfo) == "America/Sao_Paulo"
    assert str(event["status"]) == "CONFIRMED" and str(event["location"]) == "https://meet.example.com/maria"
    assert str(event["summary"]) == "Theo Therapist · Clínica Serena"
    assert cal.walk("VTIMEZONE")  # the zone travels with the invite
    assert "QZX" not in mail.as_string()  # neither the session's name nor its notes
    row = Notification.objects.get(session=session, kind="confirmation")
    assert (row.channel, row.status) == ("email", "sent")
