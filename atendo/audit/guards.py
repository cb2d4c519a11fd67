"""What the database itself enforces about the audit log: append-only, below the ORM.

Installed (idempotently) after every `migrate` by `AuditConfig.ready()`'s post_migrate handler, so
a later migration that rebuilds the table (SQLite rebuilds tables to alter them, dropping their
triggers) never leaves it unguarded.

- **PostgreSQL**: a row trigger refuses every UPDATE of `audit_auditevent` except a deleted user's
  `actor_id` becoming NULL (the foreign key's SET NULL; the hashed `actor_label` still names them),
  and every DELETE except of the workspaces named in the transaction's `atendo.audit_erasure`
  setting (`audit_erasure`: the whole workspace is being deleted). The same for the client rows
  (`audit_auditeventclient`), which are never updated at all. What it cannot stop: a superuser who
  disables the trigger, or TRUNCATE by the tables' owner. The hash chain catches the first edit.
- **SQLite**: a trigger refuses the same UPDATEs. DELETE is refused by the model and its queryset
  only: a SQLite trigger cannot see a per-transaction flag, and Django's own test flush empties
  tables with DELETE. Anyone with the file can also drop the triggers; the chain (`verify_audit`)
  shows a changed or missing event, except the newest ones cut off the end, which only a head
  hash noted elsewhere reveals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, connections, transaction

EVENT_TABLE = "audit_auditevent"
CLIENT_TABLE = "audit_auditeventclient"
ERASURE_SETTING = "atendo.audit_erasure"
# Every column but actor_id: what a permitted UPDATE must leave exactly as it was.
EVENT_COLUMNS = (
    "id",
    "workspace_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "client_id",
    "label_clinical",
    "changes",
    "at",
    "seq",
    "prev_hash",
    "hash",
)

_PG_EVENT = f"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prior {EVENT_TABLE};
  erasing text := coalesce(current_setting('{ERASURE_SETTING}', true), '');
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.workspace_id::text = ANY (string_to_array(erasing, ',')) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: DELETE refused (event %)', OLD.id;
  END IF;
  prior := OLD;
  prior.actor_id := NULL;
  IF NEW.actor_id IS NULL AND NEW IS NOT DISTINCT FROM prior THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit events are append-only: UPDATE refused (event %)', OLD.id;
END $$;
CREATE OR REPLACE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {EVENT_TABLE}
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

CREATE OR REPLACE FUNCTION audit_event_client_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  erasing text := coalesce(current_setting('{ERASURE_SETTING}', true), '');
BEGIN
  IF TG_OP = 'DELETE' AND OLD.workspace_id::text = ANY (string_to_array(erasing, ',')) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP;
END $$;
CREATE OR REPLACE TRIGGER audit_event_client_append_only BEFORE UPDATE OR DELETE ON {CLIENT_TABLE}
  FOR EACH ROW EXECUTE FUNCTION audit_event_client_append_only();
"""

_SAME = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in EVENT_COLUMNS)
_SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON {EVENT_TABLE}
    WHEN NOT (NEW.actor_id IS NULL AND {_SAME})
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_client_no_update BEFORE UPDATE ON {CLIENT_TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END""",
]


def install(using_connection: Any = None) -> None:
    """Create (or replace) the triggers on this connection's database."""
    conn = using_connection or connection
    tables = set(conn.introspection.table_names())
    if not {EVENT_TABLE, CLIENT_TABLE} <= tables:
        return
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(_PG_EVENT)
        elif conn.vendor == "sqlite":
            for statement in _SQLITE:
                cursor.execute(statement)


def installed(using_connection: Any = None) -> set[str]:
    """The names of the guard triggers present (for checks and tests)."""
    conn = using_connection or connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid IN (%s::regclass, %s::regclass)",
                [EVENT_TABLE, CLIENT_TABLE],
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall() if row[0].startswith("audit_event")}


@contextmanager
def audit_erasure(workspace_ids: Iterable[int]) -> Iterator[None]:
    """A transaction in which the audit trail of these workspaces may be deleted: use it only to
    delete the workspaces themselves (their trail goes with them, nothing else may remove it)."""
    ids = ",".join(str(int(i)) for i in workspace_ids)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, true)", [ERASURE_SETTING, ids])
        yield


def post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    install(connections[using])
