"""The data of the clinical barrier: which practitioners are assigned to which clients.

An assignment opens a client's whole clinical record to a member holding `clinical.read_own`, so
only `clinical.access` reads it and only its assignment services write it.
"""

from __future__ import annotations

from django.db import models

from atendo.core.models import TenantModel


class ClientPractitioner(TenantModel):
    """A practitioner assigned to a client (the table predates this app, hence its name)."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    member = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="client_assignments", db_index=False
    )

    class Meta:
        db_table = "clients_clientpractitioner"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "client", "member"], name="clientpractitioner_unique"
            )
        ]
        indexes = [models.Index(fields=["workspace", "member", "client"], name="clientpract_ws_member")]


class WorkspaceKey(TenantModel):
    """A workspace's data key (`clinical.crypto`), stored only wrapped by the master key.

    The newest version seals; every version opens what it sealed (a ciphertext names its `kid`).
    `rotate_keys --data-keys` adds a version, re-encrypts, then sets `retired_at` on the older ones;
    they are kept, since nothing sealed under them may become unreadable (a process that had not yet
    seen the new key, a backup restored later)."""

    kid = models.CharField(max_length=8, unique=True)
    version = models.PositiveIntegerField()
    # base64 of nonce | AES-256-GCM(data key) | tag, under the master key whose id is `master_kid`.
    wrapped = models.CharField(max_length=100)
    master_kid = models.CharField(max_length=8)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "version"], name="workspacekey_unique_version")
        ]

    def __str__(self) -> str:
        return f"data key {self.kid} v{self.version} of workspace {self.workspace_id}"
