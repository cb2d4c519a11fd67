"""Base classes for tenant data.

Every tenant table carries `workspace_id` and leads its indexes with it (Citus-ready), and every
query of tenant data goes through `.for_workspace(ws)` or an access helper built on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar

from django.db import models

if TYPE_CHECKING:
    from atendo.workspaces.models import Workspace

_M = TypeVar("_M", bound="TenantModel")


class TenantQuerySet(models.QuerySet[_M]):
    """Queries of tenant data: `.for_workspace(ws)` is the way into one workspace's rows."""

    def for_workspace(self, workspace: Workspace | int) -> Self:
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        return self.filter(workspace_id=workspace_id)


class TenantModel(models.Model):
    """Abstract base: belongs to one workspace; created/updated timestamps."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
