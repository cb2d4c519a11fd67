"""The calendar's queries use the workspace-leading indexes, on SQLite and on PostgreSQL.

The queries are built by the real selectors (and the overlap check), over a `seed_bench` data set
analysed like production, so the planner chooses freely (no `enable_seqscan = off`). On SQLite the
plan must SEARCH scheduling_session with an index bounded on `starts_at` (never SCAN the table); on
PostgreSQL the plan must use an index scan on a `session_ws_*` index whose Index Cond bounds
`starts_at`, and no sequential scan of scheduling_session.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from atendo.core.pagination import Keyset
from atendo.scheduling import selectors, serializers
from atendo.scheduling.checks import MAX_SPAN
from atendo.scheduling.models import Session, SessionStatus
from atendo.workspaces.models import Membership, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench(db: Any) -> dict[str, Any]:
    # 5 practitioners x ~700 sessions: months of calendar, so a week or a month is a small slice.
    call_command("seed_bench", sessions=4000, workspaces=1, practitioners=5, clients=200, verbosity=0)
    workspace = Workspace.objects.get(slug="bench-large")
    owner = Membership.objects.select_related("role", "workspace", "user").get(
        workspace=workspace, role__is_owner=True
    )
    practitioner = (
        Membership.objects.filter(workspace=workspace, role__name="Therapist").order_by("pk").first()
    )
    sessions = Session.objects.filter(workspace=workspace).order_by("starts_at", "id")
    middle = sessions[sessions.count() // 2]
    return {"workspace": workspace, "owner": owner, "practitioner": practitioner, "middle": middle}


def session_plan(queryset: Any) -> str:
    """The plan of the query the API runs for a range: the selector's queryset, read by the
    serializer through `.values(*COLUMNS)`."""
    return queryset.values(*serializers.COLUMNS).explain()


def explain(sql: str) -> str:
    """The plan of a captured statement (its parameters are already inlined)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def assert_uses_range_index(plan: str, index_prefix: str = "session_ws_") -> None:
    """The session table is read through a workspace-leading index bounded on starts_at."""
    if connection.vendor == "sqlite":
        lines = [line for line in plan.splitlines() if "scheduling_session" in line]
        assert lines, plan
        assert not any(re.search(r"\bSCAN scheduling_session\b", line) for line in lines), plan
        search = [line for line in lines if "SEARCH scheduling_session USING INDEX" in line]
        assert search, plan
        assert all(index_prefix in line and "workspace_id=?" in line for line in search), plan
        assert all("starts_at" in line for line in search), plan
    else:
        assert "Seq Scan on scheduling_session" not in plan, plan
        lines = plan.splitlines()
        scans = [
            i
            for i, line in enumerate(lines)
            if re.search(rf"Index (Only )?Scan using {index_prefix}\w* on scheduling_session", line)
            or re.search(rf"Bitmap Index Scan on {index_prefix}\w*", line)
        ]
        assert scans, plan
        for i in scans:
            cond = next((line for line in lines[i + 1 : i + 3] if "Index Cond:" in line), "")
            assert "workspace_id" in cond and "starts_at >=" in cond and "starts_at <" in cond, plan


def test_month_of_one_practitioner_uses_the_practitioner_index(bench: dict[str, Any]) -> None:
    start = bench["middle"].starts_at.replace(hour=3, minute=0)
    qs = selectors.sessions_in_range(
        bench["owner"], start, start + dt.timedelta(days=31), practitioner_id=bench["practitioner"].pk
    )
    plan = session_plan(qs)
    assert_uses_range_index(plan, "session_ws_pract_start")


def test_week_of_the_whole_workspace_uses_the_start_index(bench: dict[str, Any]) -> None:
    start = bench["middle"].starts_at.replace(hour=3, minute=0)
    qs = selectors.sessions_in_range(bench["owner"], start, start + dt.timedelta(days=7))
    assert_uses_range_index(session_plan(qs), "session_ws_start")


def test_range_filtered_by_client_uses_the_client_index(bench: dict[str, Any]) -> None:
    start = bench["middle"].starts_at.replace(hour=3, minute=0)
    qs = selectors.sessions_in_range(
        bench["owner"],
        start,
        start + dt.timedelta(days=90),
        client_id=bench["middle"].client_id,
        status=["completed"],
        field_filters={"modality": "online"},
    )
    assert_uses_range_index(session_plan(qs), "session_ws_client_start")


def test_overlap_check_reads_both_indexes_by_range(bench: dict[str, Any]) -> None:
    """The create/update check: same practitioner OR same client, intersecting, not cancelled."""
    middle = bench["middle"]
    qs = (
        Session.objects.for_workspace(bench["workspace"])
        .filter(Q(practitioner_id=middle.practitioner_id) | Q(client_id=middle.client_id))
        .filter(
            starts_at__lt=middle.ends_at,
            ends_at__gt=middle.starts_at,
            starts_at__gte=middle.starts_at - MAX_SPAN,
        )
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("starts_at", "id")
        .values_list("id", flat=True)
    )
    assert_uses_range_index(session_plan(qs))


def test_client_history_uses_the_client_index(bench: dict[str, Any]) -> None:
    """Both ways a history is read: the selector, and the API's page of a client's sessions."""
    client_id = bench["middle"].client_id
    with CaptureQueriesContext(connection) as queries:
        selectors.sessions_page(bench["owner"], client_id=client_id, limit=200)
    page_sql = next(q["sql"] for q in queries.captured_queries if 'FROM "scheduling_session"' in q["sql"])
    for plan in (selectors.client_history(bench["owner"], client_id).explain(), explain(page_sql)):
        if connection.vendor == "sqlite":
            search = "SEARCH scheduling_session USING INDEX session_ws_client_start"
            assert f"{search} (workspace_id=? AND client_id=?)" in plan, plan
            assert "SCAN scheduling_session" not in plan
        else:
            assert "Seq Scan on scheduling_session" not in plan, plan
            assert "session_ws_client_start" in plan, plan


def test_the_range_query_returns_exactly_the_intersecting_sessions(bench: dict[str, Any]) -> None:
    """The index bound (start - 1 day) loses nothing: same ids as a plain intersection filter."""
    start = bench["middle"].starts_at.replace(hour=3, minute=0)
    end = start + dt.timedelta(days=7)
    got = list(selectors.sessions_in_range(bench["owner"], start, end).values_list("id", flat=True))
    expected = list(
        Session.objects.filter(workspace=bench["workspace"], starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at", "id")
        .values_list("id", flat=True)
    )
    assert got == expected
    assert len(got) > 50


def test_a_deep_cursor_page_starts_the_index_scan_at_the_cursor(bench: dict[str, Any]) -> None:
    middle = bench["middle"]
    cursor = Keyset("starts_at").encode(middle.starts_at, middle.pk)
    with CaptureQueriesContext(connection) as queries:
        selectors.sessions_page(bench["owner"], cursor=cursor, limit=50)
    sql = next(q["sql"] for q in queries.captured_queries if "scheduling_session" in q["sql"])
    plan = explain(sql)
    if connection.vendor == "sqlite":
        assert (
            "SEARCH scheduling_session USING INDEX session_ws_start (workspace_id=? AND starts_at>" in plan
        ), plan
    else:
        assert "Seq Scan on scheduling_session" not in plan, plan
        conds = [line for line in plan.splitlines() if "Index Cond" in line and "workspace_id" in line]
        assert conds and all("starts_at" in c for c in conds), plan
