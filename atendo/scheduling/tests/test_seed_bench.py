"""`manage.py seed_bench`: a realistic, valid data set, built by bulk inserts, refusing to run twice."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from atendo.clients.models import Client
from atendo.clinical.models import ClientPractitioner
from atendo.fields import engine
from atendo.scheduling import sealing
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership, Workspace

pytestmark = pytest.mark.django_db


def seed(**options: Any) -> None:
    call_command("seed_bench", verbosity=0, **{"sessions": 300, "workspaces": 2, **options})


def bench_workspaces() -> list[Workspace]:
    return list(Workspace.objects.filter(slug__startswith="bench-").order_by("slug"))


def test_builds_one_large_workspace_with_fifty_practitioners_and_small_ones() -> None:
    seed()
    workspaces = bench_workspaces()
    assert [w.slug for w in workspaces] == ["bench-large", "bench-small-0001", "bench-small-0002"]
    large = workspaces[0]
    assert Membership.objects.filter(workspace=large, role__name="Therapist").count() == 50
    assert Session.objects.count() == 300
    assert Session.objects.filter(workspace=large).count() == 270  # 90% in the large workspace
    assert Client.objects.filter(workspace=large).count() >= 50


def test_every_session_is_consistent_and_realistic() -> None:
    seed(sessions=600)
    now = dt.datetime.now(dt.UTC)
    zones = {w.pk: w.tz for w in bench_workspaces()}
    sessions = list(Session.objects.select_related("client", "practitioner"))
    assert len(sessions) == 600
    for s in sessions:
        assert s.ends_at == s.starts_at + dt.timedelta(minutes=s.duration_minutes)
        assert 30 <= s.duration_minutes <= 90
        local = s.starts_at.astimezone(zones[s.workspace_id])
        assert local.weekday() < 5, s.starts_at
        assert 8 <= local.hour <= 20, local
        assert s.client.workspace_id == s.workspace_id
        assert s.practitioner.workspace_id == s.workspace_id
        if s.ends_at <= now:
            assert s.status in {"completed", "cancelled"}
        else:
            assert s.status in {"scheduled", "cancelled"}
        if s.status == "completed":
            assert s.recorded_at == s.ends_at
            assert s.actual_duration_minutes == s.duration_minutes
    statuses = {s.status for s in sessions}
    assert {"completed", "scheduled"} <= statuses


def test_the_data_spans_months_and_has_some_overlaps() -> None:
    seed(sessions=3000, workspaces=1, practitioners=5)
    large = Workspace.objects.get(slug="bench-large")
    qs = Session.objects.filter(workspace=large).order_by("starts_at")
    first, last = qs.first(), qs.last()
    assert first is not None and last is not None
    assert (last.starts_at - first.starts_at).days > 90
    rows = list(qs.values_list("practitioner_id", "starts_at", "ends_at"))
    by_practitioner: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for pid, start, end in rows:
        by_practitioner.setdefault(pid, []).append((start, end))
    overlaps = sum(
        1
        for spans in by_practitioner.values()
        for (_s1, e1), (s2, _e2) in itertools.pairwise(spans)
        if s2 < e1
    )
    assert 0 < overlaps < len(rows) * 0.1


def test_values_are_valid_for_the_field_definitions() -> None:
    seed()
    large = Workspace.objects.get(slug="bench-large")
    for client in Client.objects.filter(workspace=large)[:20]:
        assert (
            engine.validate_values(
                workspace=large, scope="client", values=client.fields, path="fields", require_all=False
            )
            == client.fields
        )
    for s in Session.objects.filter(workspace=large)[:50]:
        engine.validate_values(
            workspace=large,
            scope="session",
            phase="pre",
            values=s.pre_fields,
            path="fields.pre",
            require_all=False,
        )
        engine.validate_values(
            workspace=large,
            scope="session",
            phase="post",
            values=sealing.open_phase(s, "post"),  # sealed like the services seal them
            path="fields.post",
            require_all=False,
        )
    assert set(engine.filterable_definitions(workspace=large, scope="session")) == {"modality"}


def test_practitioners_are_assigned_to_the_clients_they_see() -> None:
    seed()
    pairs = set(Session.objects.values_list("workspace_id", "client_id", "practitioner_id"))
    assigned = set(ClientPractitioner.objects.values_list("workspace_id", "client_id", "member_id"))
    assert pairs <= assigned


def test_the_seeded_calendar_is_served_by_the_api(api: Any) -> None:
    seed()
    large = Workspace.objects.get(slug="bench-large")
    owner = Membership.objects.select_related("role", "workspace", "user").get(
        workspace=large, role__is_owner=True
    )
    some = Session.objects.filter(workspace=large).order_by("starts_at")[100]
    start = some.starts_at.astimezone(large.tz).date()
    end = start + dt.timedelta(days=7)
    response = api(owner).get("sessions", start=start.isoformat(), end=end.isoformat())
    assert response.status_code == 200, response.content
    ids = [item["id"] for item in response.json()["items"]]
    assert some.pk in ids
    assert all(
        item["workspace_id"] == large.pk for item in response.json()["items"] if "workspace_id" in item
    )


def test_refuses_to_run_twice_and_resets_only_bench_data(workspace: Workspace) -> None:
    seed()
    with pytest.raises(CommandError, match="--reset"):
        seed()
    seed(reset=True, sessions=200)
    assert Session.objects.count() == 200
    assert len(bench_workspaces()) == 3
    assert Workspace.objects.filter(pk=workspace.pk).exists()  # someone else's practice is untouched
    assert Membership.objects.filter(workspace=workspace).exists()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(CommandError, match="--sessions"):
        seed(sessions=0)
    assert not Workspace.objects.filter(slug__startswith="bench-").exists()


def test_one_client_of_the_large_workspace_has_a_long_history() -> None:
    """The bench's insights, briefing and export cases need a client with at least 500 sessions."""
    from atendo.scheduling.management.commands.seed_bench import HEAVY_CLIENT_SESSIONS

    seed(sessions=3000, workspaces=0, practitioners=3, clients=60)
    large = Workspace.objects.get(slug="bench-large")
    counts = {
        cid: sum(1 for _ in group)
        for cid, group in itertools.groupby(
            Session.objects.filter(workspace=large).order_by("client_id").values_list("client_id", flat=True)
        )
    }
    heavy = max(counts, key=lambda cid: counts[cid])
    assert counts[heavy] >= HEAVY_CLIENT_SESSIONS
    first = min(Session.objects.filter(workspace=large).values_list("practitioner_id", flat=True).distinct())
    assert Session.objects.filter(client_id=heavy, practitioner_id=first).count() >= HEAVY_CLIENT_SESSIONS
    assert ClientPractitioner.objects.filter(client_id=heavy, member_id=first).exists()


def test_bench_payments_give_every_session_not_cancelled_one_payment_and_keep_the_foreign_keys() -> None:
    from django.db import connection

    from atendo.billing.models import Payment

    seed(sessions=400)

    def foreign_keys() -> list[tuple[str, str]]:
        if connection.vendor != "postgresql":
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'billing_payment'::regclass AND contype = 'f' ORDER BY conname"
            )
            return cursor.fetchall()

    before = foreign_keys()
    call_command("seed_bench_payments", verbosity=0)
    live = Session.objects.exclude(status="cancelled")
    assert Payment.objects.count() == live.count() > 0
    assert set(Payment.objects.values_list("session_id", flat=True)) == set(live.values_list("pk", flat=True))
    assert all(p.workspace_id == p.session.workspace_id for p in Payment.objects.select_related("session"))
    assert foreign_keys() == before  # dropped for the insert on PostgreSQL, back as they were
    call_command("seed_bench_payments", verbosity=0)  # a second run adds nothing
    assert Payment.objects.count() == live.count()


@pytest.mark.parametrize("weekday", range(7))
def test_the_past_ends_today_whatever_the_weekday_so_the_rest_lies_in_the_future(weekday: int) -> None:
    from atendo.scheduling.management.commands.seed_bench import _working_days_back

    today = dt.date(2026, 11, 30) + dt.timedelta(days=weekday)  # a Monday, then the rest of the week
    for count in (0, 1, 2, 9):
        first = _working_days_back(today, count)
        days = [first + dt.timedelta(days=i) for i in range((today - first).days + 1)]
        assert sum(d.weekday() < 5 for d in days if d <= today) == count
        assert count or first > today
