"""The demo sessions: a month around today, realistic and consistent with the rules."""

from __future__ import annotations

import pytest
from django.utils import timezone

from atendo.scheduling import demo as scheduling_demo
from atendo.scheduling.models import Session, SessionSeries

pytestmark = pytest.mark.django_db


def test_demo_sessions_alone(owner, therapist):
    ctx = {"workspace": owner.workspace, "owner": owner, "therapist": therapist}
    scheduling_demo.seed(ctx)  # no clients, types or fields from earlier steps: still works
    sessions = list(Session.objects.all())
    assert len(sessions) > 30
    now = timezone.now()
    assert {s.status for s in sessions if s.ends_at <= now} <= {"completed", "cancelled"}
    assert {s.status for s in sessions if s.ends_at > now} <= {"scheduled", "cancelled"}
    assert SessionSeries.objects.count() == 1


def test_demo_sessions_with_the_other_steps(owner, therapist):
    from atendo.clients import demo as clients_demo
    from atendo.fields import demo as fields_demo
    from atendo.therapies import demo as therapies_demo

    ctx = {"workspace": owner.workspace, "owner": owner, "therapist": therapist}
    for step in (therapies_demo, fields_demo, clients_demo, scheduling_demo):
        step.seed(ctx)
    sessions = list(Session.objects.all())
    assert {s.therapy_type_id for s in sessions} - {None}
    assert {s.practitioner_id for s in sessions} == {owner.pk, therapist.pk}
    completed = [s for s in sessions if s.status == "completed"]
    assert completed and all(s.notes for s in completed)
    assert any(s.during_fields for s in completed) and any(s.pre_fields for s in sessions)
    assert any(s.status == "cancelled" for s in sessions)
    # Weekly series: every occurrence on the same local weekday and time.
    series = SessionSeries.objects.get()
    local = {
        (
            s.starts_at.astimezone(owner.workspace.tz).weekday(),
            s.starts_at.astimezone(owner.workspace.tz).time(),
        )
        for s in series.sessions.all()
    }
    assert len(local) == 1 and series.sessions.count() == 8
