"""`manage.py verify_audit [--workspace SLUG]`: recompute every workspace's audit hash chain.

Prints, per workspace, the number of events and the head of the chain (its last seq and hash: note
it down elsewhere, and a later rewrite of the whole chain shows too), and every break found: an
event whose content was changed after it was written, one that no longer links to the event before
it, missing events; and client rows of read events that disagree with their event. Exits 1 if any
chain is broken.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.audit import chain
from atendo.audit.models import AuditEvent, AuditEventClient


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain of every workspace (or one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", help="The slug of one workspace (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        # By name: audit sits below workspaces in the layers.
        workspaces = apps.get_model("workspaces", "Workspace").objects.order_by("pk")
        if options.get("workspace"):
            workspaces = workspaces.filter(slug=options["workspace"])
            if not workspaces.exists():
                raise CommandError(f"No workspace {options['workspace']!r}.")
        broken = 0
        for workspace in workspaces:
            report = chain.verify(workspace.pk)
            problems = [f"event {b.event_id} (#{b.seq}): {b.reason}" for b in report.breaks]
            problems += client_rows_disagree(workspace.pk)
            state = "OK" if not problems else "BROKEN"
            head = f"head #{report.head_seq} {report.head_hash}"
            self.stdout.write(f"{workspace.slug}: {state} - {report.events} events, {head}")
            for problem in problems:
                self.stdout.write(f"  {problem}")
            broken += bool(problems)
        if broken:
            raise CommandError(f"{broken} audit chain(s) do not verify.")


def client_rows_disagree(workspace_id: int) -> list[str]:
    """Read events whose client rows are not exactly the clients their hashed changes list."""
    rows: dict[int, set[int]] = {}
    for event_id, client_id in AuditEventClient.objects.for_workspace(workspace_id).values_list(
        "event_id", "client_id"
    ):
        rows.setdefault(event_id, set()).add(client_id)
    problems = []
    events = AuditEvent.objects.for_workspace(workspace_id).filter(action="clinical.read")
    for event_id, changes in events.values_list("pk", "changes").iterator():
        listed = set((changes or {}).get("clients") or [])
        if rows.pop(event_id, set()) != listed:
            problems.append(f"event {event_id}: its client rows differ from the clients it lists")
    problems += [f"client rows of event {event_id}, which is not a read event" for event_id in rows]
    return problems
