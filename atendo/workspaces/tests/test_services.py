"""Workspace, role and membership services: validation, permissions, audit, the last-owner rule."""

from __future__ import annotations

import datetime as dt

import pytest

from atendo.audit.models import AuditEvent
from atendo.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from atendo.workspaces.models import Membership, Role, Workspace
from atendo.workspaces.services import (
    member_add,
    member_remove,
    member_update,
    role_create,
    role_delete,
    role_update,
    workspace_update_settings,
)

pytestmark = pytest.mark.django_db


def _role(workspace, name):
    return Role.objects.for_workspace(workspace).get(name=name)


def _snapshot(workspace):
    ws = Workspace.objects.get(pk=workspace.pk)
    return (
        {
            f.attname: getattr(ws, f.attname)
            for f in Workspace._meta.concrete_fields
            if f.attname != "updated_at"
        },
        sorted(Membership.objects.for_workspace(workspace).values_list("pk", "role_id", "is_active")),
        sorted(Role.objects.for_workspace(workspace).values_list("pk", "name", "permissions")),
        AuditEvent.objects.for_workspace(workspace).count(),
    )


# --- settings ---------------------------------------------------------------------------------


def test_owner_updates_settings_and_it_is_audited(owner):
    hours = {"mon": [["08:00", "12:00"], ["14:00", "19:00"]], "sat": [["09:00", "13:00"]]}
    ws = workspace_update_settings(
        member=owner,
        timezone="Europe/Lisbon",
        working_hours=hours,
        default_duration_minutes=50,
        default_status="in_progress",
        default_start_time="08:30",
        slot_minutes=15,
        default_calendar_view="month",
        prevent_double_booking=True,
        payment_due_days=10,
        currency="eur",
        language="pt-br",
    )
    ws.refresh_from_db()
    assert ws.timezone == "Europe/Lisbon"
    assert ws.working_hours["mon"] == [["08:00", "12:00"], ["14:00", "19:00"]]
    assert ws.working_hours["tue"] == []
    assert ws.default_start_time == dt.time(8, 30)
    assert (ws.slot_minutes, ws.currency, ws.default_calendar_view) == (15, "EUR", "month")
    event = AuditEvent.objects.for_workspace(ws).filter(action="workspace.update").get()
    assert event.changes["timezone"] == ["America/Sao_Paulo", "Europe/Lisbon"]
    assert event.changes["default_start_time"] == ["09:00", "08:30"]
    assert event.actor_id == owner.user_id


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"working_hours": {"mon": [["12:00", "09:00"]]}}, "working_hours.mon[0]"),
        ({"working_hours": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "working_hours.mon[1]"),
        ({"default_duration_minutes": 0}, "default_duration_minutes"),
        ({"default_duration_minutes": 1441}, "default_duration_minutes"),
        ({"default_duration_minutes": True}, "default_duration_minutes"),
        ({"default_status": "done"}, "default_status"),
        ({"default_start_time": "9am"}, "default_start_time"),
        ({"slot_minutes": 7}, "slot_minutes"),
        ({"default_calendar_view": "year"}, "default_calendar_view"),
        ({"prevent_double_booking": "yes"}, "prevent_double_booking"),
        ({"payment_due_days": -1}, "payment_due_days"),
        ({"currency": "reais"}, "currency"),
        ({"language": "fr"}, "language"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_settings_are_refused_naming_the_field_and_nothing_changes(owner, values, path):
    before = _snapshot(owner.workspace)
    with pytest.raises(ValidationFailed) as exc:
        workspace_update_settings(member=owner, **{"default_duration_minutes": 45, **values})
    assert path in [f.path for f in exc.value.fields]
    assert _snapshot(owner.workspace) == before


def test_settings_need_workspace_manage(therapist):
    with pytest.raises(Forbidden):
        workspace_update_settings(member=therapist, slot_minutes=15)


def test_unchanged_settings_record_no_event(owner):
    workspace_update_settings(member=owner, slot_minutes=30)
    assert not AuditEvent.objects.filter(action="workspace.update").exists()


# --- roles ------------------------------------------------------------------------------------


def test_role_create_update_delete(owner):
    role = role_create(member=owner, name="Reception", permissions=["session.read", "client.read"])
    assert role.permissions == ["client.read", "session.read"]
    role_update(member=owner, role_id=role.pk, name="Front desk", permissions=["session.read"])
    role.refresh_from_db()
    assert (role.name, role.permissions) == ("Front desk", ["session.read"])
    role_delete(member=owner, role_id=role.pk)
    assert not Role.objects.filter(pk=role.pk).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="role").order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["role.create", "role.update", "role.delete"]


def test_unknown_permission_code_is_refused_naming_its_index(owner):
    before = _snapshot(owner.workspace)
    with pytest.raises(ValidationFailed) as exc:
        role_create(member=owner, name="Odd", permissions=["session.read", "session.fly"])
    assert [f.path for f in exc.value.fields] == ["permissions[1]"]
    assert "session.fly" in exc.value.fields[0].message
    assert _snapshot(owner.workspace) == before


def test_duplicate_role_name_is_refused(owner):
    with pytest.raises(ValidationFailed) as exc:
        role_create(member=owner, name="therapist", permissions=[])
    assert exc.value.fields[0].path == "name"


def test_owner_role_cannot_be_changed_or_deleted(owner):
    owner_role = _role(owner.workspace, "Owner")
    with pytest.raises(Conflict):
        role_update(member=owner, role_id=owner_role.pk, permissions=["session.read"])
    with pytest.raises(Conflict):
        role_delete(member=owner, role_id=owner_role.pk)
    assert Role.objects.get(pk=owner_role.pk).is_owner


def test_role_in_use_cannot_be_deleted(owner, therapist):
    with pytest.raises(Conflict) as exc:
        role_delete(member=owner, role_id=therapist.role_id)
    assert exc.value.code == "role_in_use"
    assert Role.objects.filter(pk=therapist.role_id).exists()


def test_roles_need_members_manage(therapist):
    with pytest.raises(Forbidden):
        role_create(member=therapist, name="X", permissions=[])


def test_role_of_another_workspace_is_not_found(owner, outsider):
    foreign = _role(outsider.workspace, "Therapist")
    with pytest.raises(NotFound):
        role_update(member=owner, role_id=foreign.pk, name="Mine now")
    with pytest.raises(NotFound):
        role_delete(member=owner, role_id=foreign.pk)


def test_non_owner_manager_cannot_grant_what_they_do_not_hold(owner, assistant):
    manager_role = role_create(member=owner, name="Manager", permissions=["members.manage", "session.read"])
    member_update(member=owner, membership_id=assistant.pk, role_id=manager_role.pk)
    assistant.refresh_from_db()
    with pytest.raises(Forbidden):
        role_create(member=assistant, name="Everything", permissions=["clinical.read_all"])
    with pytest.raises(Forbidden):
        member_update(
            member=assistant, membership_id=assistant.pk, role_id=_role(owner.workspace, "Owner").pk
        )


# --- members ----------------------------------------------------------------------------------


def test_owner_adds_member_by_email_and_role(owner):
    therapist_role = _role(owner.workspace, "Therapist")
    added = member_add(
        workspace=owner.workspace, actor=owner, email=" New@Serena.test ", role_id=therapist_role.pk
    )
    assert added.user.email == "new@serena.test" and added.role == therapist_role
    assert AuditEvent.objects.filter(action="member.add", object_id=str(added.pk)).exists()


def test_member_add_refuses_bad_email_and_unknown_role(owner):
    with pytest.raises(ValidationFailed) as exc:
        member_add(workspace=owner.workspace, actor=owner, email="not-an-email", role_name="Therapist")
    assert exc.value.fields[0].path == "email"
    with pytest.raises(ValidationFailed) as exc:
        member_add(workspace=owner.workspace, actor=owner, email="a@b.test", role_name="Wizard")
    assert exc.value.fields[0].path == "role"


def test_member_update_role_active_and_hours(owner, therapist):
    assistant_role = _role(owner.workspace, "Assistant")
    updated = member_update(
        member=owner,
        membership_id=therapist.pk,
        role_id=assistant_role.pk,
        working_hours={"tue": [["10:00", "16:00"]]},
    )
    assert updated.role == assistant_role and updated.working_hours["tue"] == [["10:00", "16:00"]]
    event = AuditEvent.objects.get(action="member.update")
    assert event.changes["role"] == ["Therapist", "Assistant"]
    member_update(member=owner, membership_id=therapist.pk, working_hours=None)
    therapist.refresh_from_db()
    assert therapist.working_hours is None


def test_member_sets_own_working_hours_without_members_manage(therapist, other_therapist):
    member_update(member=therapist, membership_id=therapist.pk, working_hours={"fri": [["09:00", "11:00"]]})
    with pytest.raises(Forbidden):
        member_update(member=therapist, membership_id=other_therapist.pk, working_hours={})
    with pytest.raises(Forbidden):
        member_update(member=therapist, membership_id=therapist.pk, is_active=False)


def test_last_owner_cannot_be_demoted_deactivated_or_removed(owner):
    before = _snapshot(owner.workspace)
    therapist_role = _role(owner.workspace, "Therapist")
    for attempt in (
        lambda: member_update(member=owner, membership_id=owner.pk, role_id=therapist_role.pk),
        lambda: member_update(member=owner, membership_id=owner.pk, is_active=False),
        lambda: member_remove(member=owner, membership_id=owner.pk),
        lambda: member_add(
            workspace=owner.workspace, actor=owner, email=owner.user.email, role_name="Therapist"
        ),
        lambda: member_add(
            workspace=owner.workspace, actor=None, email=owner.user.email, role_name="Assistant"
        ),
    ):
        with pytest.raises(Conflict) as exc:
            attempt()
        assert exc.value.code == "last_owner"
        assert "last owner" in exc.value.message
    assert _snapshot(owner.workspace) == before


def test_an_owner_can_step_down_once_there_is_another(owner, therapist):
    owner_role = _role(owner.workspace, "Owner")
    member_update(member=owner, membership_id=therapist.pk, role_id=owner_role.pk)
    member_remove(member=owner, membership_id=owner.pk)
    owner.refresh_from_db()
    assert not owner.is_active
    therapist.refresh_from_db()
    with pytest.raises(Conflict):
        member_remove(member=therapist, membership_id=therapist.pk)


def test_remove_deactivates_and_revokes_tokens(owner, therapist, api):
    client = api(therapist)
    assert client.get("/api/v1/workspaces/serena").status_code == 200
    member_remove(member=owner, membership_id=therapist.pk)
    therapist.refresh_from_db()
    assert not therapist.is_active
    assert not therapist.user.api_tokens.filter(revoked_at__isnull=True).exists()
    assert client.get("/api/v1/workspaces/serena").status_code == 401
    # Re-adding brings them back.
    member_add(workspace=owner.workspace, actor=owner, email=therapist.user.email, role_name="Therapist")
    therapist.refresh_from_db()
    assert therapist.is_active


def test_members_manage_required_and_foreign_member_not_found(therapist, owner, outsider):
    with pytest.raises(Forbidden):
        member_remove(member=therapist, membership_id=owner.pk)
    with pytest.raises(NotFound):
        member_remove(member=owner, membership_id=outsider.pk)
    with pytest.raises(NotFound):
        member_update(member=owner, membership_id=outsider.pk, is_active=False)


def test_non_owner_manager_cannot_remove_an_owner(owner, assistant):
    manager = role_create(member=owner, name="Manager", permissions=["members.manage"])
    member_update(member=owner, membership_id=assistant.pk, role_id=manager.pk)
    assistant.refresh_from_db()
    with pytest.raises(Forbidden):
        member_remove(member=assistant, membership_id=owner.pk)
