"""`manage.py seed_bench_payments`: a payment for every session of the bench workspaces that was not
cancelled (`make bench` runs it after `seed_bench`), so the income report is measured on a
realistic ledger: past sessions mostly paid (PIX, card, cash, other), one in ten overdue and one in
ten pending; future sessions pending. Amounts are the therapy type's price (else 150.00), the due
date a week after the session.

One `INSERT … SELECT` per run, in the database: a million rows in seconds, every constraint on;
columns it does not name take their database default. On PostgreSQL the table's foreign keys are
dropped for the insert and added again in the same transaction: Django makes them `DEFERRABLE
INITIALLY DEFERRED`, and checking ~2.7 million queued row events at commit took many minutes,
while adding a constraint back validates every row in one join. Only bench data (workspaces whose slug
starts with `bench-`) is touched; running it again adds nothing (sessions that have a payment are
skipped).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from atendo.workspaces.models import Workspace

SLUG_PREFIX = "bench-"

_SQL = """
INSERT INTO billing_payment
    (created_at, updated_at, workspace_id, session_id, amount, currency, status, method, due_date, paid_date)
SELECT s.created_at, s.created_at, s.workspace_id, s.id, COALESCE(t.default_price, 150.00), w.currency,
       CASE WHEN s.starts_at >= %(now)s THEN 'pending'
            WHEN s.id %% 10 = 0 THEN 'overdue'
            WHEN s.id %% 10 = 1 THEN 'pending'
            ELSE 'paid' END,
       CASE WHEN s.starts_at >= %(now)s OR s.id %% 10 IN (0, 1) THEN ''
            WHEN s.id %% 7 < 4 THEN 'pix'
            WHEN s.id %% 7 < 6 THEN 'card'
            WHEN s.id %% 2 = 0 THEN 'cash'
            ELSE 'other' END,
       {due},
       CASE WHEN s.starts_at >= %(now)s OR s.id %% 10 IN (0, 1) THEN NULL ELSE {day} END
FROM scheduling_session s
JOIN workspaces_workspace w ON w.id = s.workspace_id
LEFT JOIN therapies_therapytype t ON t.id = s.therapy_type_id
WHERE s.workspace_id IN ({workspaces})
  AND s.status <> 'cancelled'
  AND NOT EXISTS (SELECT 1 FROM billing_payment p WHERE p.session_id = s.id)
"""


def _foreign_keys(cursor: Any) -> list[tuple[str, str]]:
    """Name and definition (as PostgreSQL prints it) of billing_payment's foreign keys."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'billing_payment'::regclass AND contype = 'f' ORDER BY conname"
    )
    return [(row[0], row[1]) for row in cursor.fetchall()]


class Command(BaseCommand):
    help = "Give every non-cancelled bench session a payment (paid, pending or overdue), in one statement."

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        ids = list(Workspace.objects.filter(slug__startswith=SLUG_PREFIX).values_list("pk", flat=True))
        if not ids:
            raise CommandError("No bench workspaces: run `manage.py seed_bench --sessions N` first.")
        if connection.vendor == "postgresql":
            day = "(s.starts_at AT TIME ZONE 'UTC')::date"
            due = f"{day} + 7"
            now: Any = timezone.now()
        else:
            day = "date(s.starts_at)"
            due = "date(s.starts_at, '+7 days')"
            now = str(timezone.now().astimezone(dt.UTC).replace(tzinfo=None))
        # Named placeholders throughout (they cannot mix with positional ones): the workspaces too.
        names = {f"w{i}": pk for i, pk in enumerate(ids)}
        sql = _SQL.format(due=due, day=day, workspaces=", ".join(f"%({name})s" for name in names))
        with transaction.atomic(), connection.cursor() as cursor:
            foreign_keys = _foreign_keys(cursor) if connection.vendor == "postgresql" else []
            if foreign_keys:  # rows an enclosing transaction queued are checked now (ALTER needs it)
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name, _definition in foreign_keys:
                cursor.execute(f'ALTER TABLE billing_payment DROP CONSTRAINT "{name}"')
            if connection.vendor == "postgresql":
                # The table is empty (or was when last analyzed), so the planner may take the NOT
                # EXISTS as a nested loop over a tiny table, scanning it once per session while the
                # statement fills it: quadratic (a 1,000,000-session run ran >10 minutes instead
                # of ~30 s). A hash or index anti join is linear whatever the statistics say.
                cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute(sql, {"now": now, **names})
            inserted = cursor.rowcount
            for name, definition in foreign_keys:  # validated again, every row, before the commit
                cursor.execute(f'ALTER TABLE billing_payment ADD CONSTRAINT "{name}" {definition}')
            if foreign_keys:  # every deferrable constraint here is INITIALLY DEFERRED: back to that
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"Seeded {inserted} payments in {time.monotonic() - started:.1f} s.")
