"""`manage.py rotate_keys`: rotate the keys of encryption at rest (`clinical.crypto`).

    rotate_keys --new-master-key          print a fresh master key (nothing else changes)
    rotate_keys --master                  re-wrap every data key under ATENDO_MASTER_KEY (the old
                                          master key(s) in ATENDO_OLD_MASTER_KEYS meanwhile)
    rotate_keys --data-keys [--workspace SLUG]
                                          a new data key per workspace, everything re-encrypted
                                          under it, the older keys retired (kept, never deleted)
    rotate_keys --status [--workspace SLUG]
                                          the keys, and how many values each one seals (a scan)

Resumable: each batch commits on its own; run the same command again after an interruption (a
workspace with more than one live key is finished, not given yet another key). Audited: one
`keys.rotate_master` / `keys.rotate_data` event per workspace, by "system", with key ids and
counts only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from atendo.audit.services import audit_record
from atendo.clinical import crypto, rotation
from atendo.clinical.changes import content_changed
from atendo.clinical.models import WorkspaceKey
from atendo.workspaces.models import Workspace

# Which content listeners (the search index) to tell about re-sealed rows, by table.
_TOUCHED = {
    "scheduling_session": "session_ids",
    "evaluations_evaluation": "evaluation_ids",
    "clients_client": "client_ids",
}


class Command(BaseCommand):
    help = "Rotate the encryption keys: re-wrap the data keys (new master key) or re-encrypt (new data keys)."

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--new-master-key", action="store_true", help="Print a fresh master key.")
        what.add_argument(
            "--master", action="store_true", help="Re-wrap every data key under ATENDO_MASTER_KEY."
        )
        what.add_argument("--data-keys", action="store_true", help="New data keys; re-encrypt everything.")
        what.add_argument("--status", action="store_true", help="List the keys and what each one seals.")
        parser.add_argument("--workspace", help="Only this workspace (slug), for --data-keys and --status.")
        parser.add_argument("--batch", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["new_master_key"]:
            self.stdout.write(crypto.new_master_key())
            return
        problem = crypto.check_master_key()
        if problem:
            raise CommandError(problem)
        workspaces = Workspace.objects.order_by("pk")
        if opts["workspace"]:
            workspaces = workspaces.filter(slug=opts["workspace"])
            if not workspaces.exists():
                raise CommandError(f"No workspace '{opts['workspace']}'.")
        if opts["master"]:
            self._master()
        elif opts["data_keys"]:
            for workspace in workspaces:
                self._data_keys(workspace, opts["batch"])
        else:
            self._status(workspaces)

    def _master(self) -> None:
        ring = crypto.master_ring()
        self.stdout.write(f"Re-wrapping data keys under master key {ring.current}…")
        done = rotation.rewrap_all(log=self.stdout.write)
        for workspace in Workspace.objects.filter(pk__in=done):
            audit_record(
                workspace=workspace,
                actor=None,
                action="keys.rotate_master",
                object_type="workspace",
                object_id=str(workspace.pk),
                object_label=workspace.slug,
                changes={"master_key": ring.current, "data_keys": done[workspace.pk]},
            )
        left = WorkspaceKey.objects.exclude(master_kid=ring.current).count()
        self.stdout.write(f"Done: {sum(len(k) for k in done.values())} data keys re-wrapped; {left} left.")
        if left:
            raise CommandError("Some data keys are still wrapped by another master key.")

    def _data_keys(self, workspace: Workspace, batch: int) -> None:
        live = crypto.live_keys(workspace.pk)
        if not live:
            self.stdout.write(f"{workspace.slug}: no data key yet (nothing sealed): nothing to rotate.")
            return
        if len(live) > 1:
            self.stdout.write(f"{workspace.slug}: resuming the rotation to data key {live[0].kid}…")
            new = live[0]
        else:
            with transaction.atomic():
                version = live[0].kid
                latest = WorkspaceKey.objects.filter(workspace=workspace).order_by("-version").first()
                new = crypto.new_data_key(workspace.pk, (latest.version if latest else 0) + 1)
            self.stdout.write(f"{workspace.slug}: new data key {new.kid} (was {version}); re-encrypting…")
        counts, touched = rotation.reencrypt(workspace.pk, log=self.stdout.write, batch=batch)
        if touched:
            # The search index (insights) keys its hashes with the current data key: rebuild them.
            content_changed(
                workspace_id=workspace.pk,
                **{_TOUCHED[table]: ids for table, ids in touched.items() if table in _TOUCHED},
            )
        left = {kid: n for kid, n in rotation.uses(workspace.pk).items() if kid not in (new.kid, "plaintext")}
        if left:
            raise CommandError(f"{workspace.slug}: values still sealed by older keys {left}; run it again.")
        retired = rotation.retire_older(workspace.pk)
        audit_record(
            workspace=workspace,
            actor=None,
            action="keys.rotate_data",
            object_type="workspace",
            object_id=str(workspace.pk),
            object_label=workspace.slug,
            changes={"data_key": new.kid, "retired": retired, "rows": counts.rows, "files": counts.files},
        )
        self.stdout.write(
            f"{workspace.slug}: {counts.rows} rows ({counts.values} values, {counts.files} files) "
            f"re-encrypted; retired {', '.join(retired) or 'none'}."
        )

    def _status(self, workspaces: Any) -> None:
        ring = crypto.master_ring()
        others = ", ".join(k for k in ring.keys if k != ring.current) or "none"
        self.stdout.write(f"Master key {ring.current} (also accepted: {others})")
        for workspace in workspaces:
            keys = list(WorkspaceKey.objects.filter(workspace=workspace).order_by("version"))
            found = rotation.uses(workspace.pk)
            self.stdout.write(f"{workspace.slug}:")
            for key in keys:
                state = "retired" if key.retired_at else "live"
                self.stdout.write(
                    f"  v{key.version} {key.kid} {state}, wrapped by {key.master_kid}: "
                    f"{found.get(key.kid, 0)} values"
                )
            if found.get("plaintext"):
                self.stdout.write(f"  not sealed: {found['plaintext']} (run migrate)")
