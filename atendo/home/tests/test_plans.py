"""The home's session to-do lists read a bounded slice of an index, on SQLite and on PostgreSQL.

Over a `seed_bench` data set (analysed like production; past sessions completed and not signed,
months booked ahead), the plans must not walk through the bookings ahead: to record is bounded on
`starts_at` on both sides, notes to sign read the partial indexes of completed, unsigned sessions.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from atendo.home import selectors
from atendo.workspaces.models import Membership, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench(db: Any) -> dict[str, Any]:
    call_command("seed_bench", sessions=4000, workspaces=1, practitioners=5, clients=200, verbosity=0)
    workspace = Workspace.objects.get(slug="bench-large")
    members = Membership.objects.select_related("role", "workspace", "user").filter(workspace=workspace)
    return {
        "owner": members.get(role__is_owner=True),
        "practitioner": members.filter(role__name="Therapist").order_by("pk").first(),
    }


def _plans(member: Membership, **scope: Any) -> dict[str, str]:
    """The plan of each to-do list's session query, by the list it fills."""
    with CaptureQueriesContext(connection) as queries:
        selectors.today_for(member, **scope)
    plans = {}
    for query in queries.captured_queries:
        sql = query["sql"]
        if 'FROM "scheduling_session"' not in sql or "LIMIT" not in sql:
            continue
        name = (
            "to_sign"
            if '"signed_at" IS NULL' in sql
            else "to_record"
            if '"recorded_at" IS NULL' in sql
            else None
        )
        if name is None:
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plans[name] = "\n".join(str(row[-1]) for row in cursor.fetchall())
            else:
                cursor.execute("EXPLAIN " + sql)
                plans[name] = "\n".join(row[0] for row in cursor.fetchall())
    assert set(plans) == {"to_sign", "to_record"}, plans
    return plans


@pytest.mark.parametrize("scope", ["own", "everyone"])
def test_to_record_and_to_sign_read_a_bounded_slice(bench: dict[str, Any], scope: str) -> None:
    member = bench["practitioner"] if scope == "own" else bench["owner"]
    plans = _plans(member)
    unsigned = "session_unsigned_pract" if scope == "own" else "session_unsigned"
    if connection.vendor == "sqlite":
        record = [line for line in plans["to_record"].splitlines() if "scheduling_session" in line]
        assert any("starts_at>? AND starts_at<?" in line for line in record), plans["to_record"]
        assert f"SEARCH scheduling_session USING INDEX {unsigned} " in plans["to_sign"], plans["to_sign"]
    else:
        for plan in plans.values():
            assert "Seq Scan on scheduling_session" not in plan, plan
        cond = next(line for line in plans["to_record"].splitlines() if "Index Cond:" in line)
        assert "starts_at >=" in cond and "starts_at <" in cond, plans["to_record"]
        assert f"using {unsigned} on scheduling_session" in plans["to_sign"], plans["to_sign"]
