"""Migration 0002: existing roles keep what they could legitimately do when `client.assign` arrives."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from atendo.workspaces import permissions
from atendo.workspaces.models import Role

pytestmark = pytest.mark.django_db

migration = importlib.import_module("atendo.workspaces.migrations.0002_role_client_assign")


def _role(workspace, name: str, codes: set[str]) -> Role:
    return Role.objects.create(workspace=workspace, name=name, permissions=sorted(codes - {"client.assign"}))


def test_existing_roles_get_client_assign_unless_it_would_let_them_widen_their_own_access(workspace):
    old = {name: set(codes) - {"client.assign"} for name, codes in permissions.DEFAULT_ROLES.items()}
    roles = {
        "front desk": _role(workspace, "Front desk", old[permissions.ASSISTANT]),
        "therapist": _role(workspace, "Old therapist", old[permissions.THERAPIST]),
        "clinical lead": _role(workspace, "Clinical lead", {"client.update", "clinical.read_all"}),
        "viewer": _role(workspace, "Viewer", {"client.read"}),
    }
    migration.grant(apps, None)
    granted = {
        key: "client.assign" in Role.objects.get(pk=role.pk).permissions for key, role in roles.items()
    }
    assert granted == {"front desk": True, "therapist": False, "clinical lead": True, "viewer": False}
    owner_role = Role.objects.get(workspace=workspace, is_owner=True)
    assert "client.assign" in owner_role.permissions


def test_new_workspaces_give_client_assign_to_the_owner_only(owner, therapist, assistant):
    assert owner.has_perm("client.assign")
    assert not therapist.has_perm("client.assign") and not assistant.has_perm("client.assign")
