"""The workspace API: settings, members, roles, permissions, API tokens, audit events and /me."""

from __future__ import annotations

import pytest

from atendo.accounts.models import ApiToken
from atendo.audit.models import AuditEvent
from atendo.workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db


def _role_id(workspace, name):
    return Role.objects.for_workspace(workspace).get(name=name).pk


def assert_error(response, status, code=None, path=None):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "fields"} and error["message"]
    if code:
        assert error["code"] == code
    if path:
        assert path in [f["path"] for f in error["fields"]], error
    return error


# --- settings ---------------------------------------------------------------------------------


def test_any_member_reads_settings(api, assistant):
    body = api(assistant).get("settings").json()
    assert body["timezone"] == "America/Sao_Paulo"
    assert body["default_duration_minutes"] == 60
    assert body["default_status"] == "scheduled"
    assert body["default_start_time"] == "09:00"
    assert body["slot_minutes"] == 30
    assert body["working_hours"]["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert body["prevent_double_booking"] is False


def test_owner_patches_settings(api, owner):
    response = api(owner).patch(
        "settings",
        {"working_hours": {"sat": [["08:00", "12:00"]]}, "slot_minutes": 15, "default_start_time": "08:00"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["working_hours"]["sat"] == [["08:00", "12:00"]] and body["working_hours"]["mon"] == []
    assert (body["slot_minutes"], body["default_start_time"]) == (15, "08:00")
    assert Workspace.objects.get(slug="serena").slot_minutes == 15


def test_overlapping_hours_are_refused_with_the_path_and_nothing_changes(api, owner):
    response = api(owner).patch(
        "settings",
        {"slot_minutes": 15, "working_hours": {"tue": [["09:00", "12:00"], ["11:30", "14:00"]]}},
    )
    assert_error(response, 422, "validation_error", "working_hours.tue[1]")
    ws = Workspace.objects.get(slug="serena")
    assert ws.slot_minutes == 30 and ws.working_hours["tue"] == [["09:00", "12:00"], ["13:00", "18:00"]]


def test_unknown_timezone_is_refused(api, owner):
    assert_error(api(owner).patch("settings", {"timezone": "Nowhere/Land"}), 422, path="timezone")


def test_wrong_types_give_422_with_the_path(api, owner):
    assert_error(api(owner).patch("settings", {"slot_minutes": "often"}), 422, path="slot_minutes")
    assert_error(
        api(owner).patch("settings", {"working_hours": {"mon": "all day"}}), 422, path="working_hours.mon"
    )
    assert_error(api(owner).patch("settings", {"timezone": None}), 422, path="timezone")


def test_settings_patch_checks_access(api, therapist, outsider, workspace):
    assert_error(api(therapist).patch("settings", {"slot_minutes": 15}), 403, "forbidden")
    assert_error(api(outsider, "serena").patch("settings", {"slot_minutes": 15}), 404, "not_found")
    assert_error(api(outsider, "serena").get("settings"), 404, "not_found")


# --- members ----------------------------------------------------------------------------------


def test_members_list(api, owner, therapist, assistant, django_assert_max_num_queries):
    client = api(owner)
    with django_assert_max_num_queries(4):
        body = client.get("members").json()
    assert body["next_cursor"] is None
    by_email = {m["email"]: m for m in body["items"]}
    assert by_email["owner@serena.test"]["is_owner"] is True
    assert by_email["therapist@serena.test"]["role_name"] == "Therapist"


def test_owner_adds_a_member_by_email_and_role(api, owner):
    response = api(owner).post("members", {"email": "new@serena.test", "role": "Assistant", "name": "Nina"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["role_name"], body["name"]) == ("new@serena.test", "Assistant", "Nina")
    response = api(owner).post(
        "members", {"email": "other@x.test", "role_id": _role_id(owner.workspace, "Therapist")}
    )
    assert response.json()["role_name"] == "Therapist"


def test_add_member_bad_input(api, owner):
    assert_error(api(owner).post("members", {"email": "nope", "role": "Therapist"}), 422, path="email")
    assert_error(api(owner).post("members", {"email": "a@b.test", "role": "Wizard"}), 422, path="role")
    assert_error(api(owner).post("members", {"email": "a@b.test"}), 422, path="role_id")
    assert not Membership.objects.filter(user__email="a@b.test").exists()


def test_patch_and_remove_member(api, owner, therapist):
    client = api(owner)
    response = client.patch(
        f"members/{therapist.pk}",
        {"role_id": _role_id(owner.workspace, "Assistant"), "working_hours": {"mon": [["10:00", "11:00"]]}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["role_name"] == "Assistant"
    assert response.json()["working_hours"]["mon"] == [["10:00", "11:00"]]
    assert client.delete(f"members/{therapist.pk}").status_code == 204
    assert client.get(f"members/{therapist.pk}").json()["is_active"] is False


def test_last_owner_is_protected_over_the_api(api, owner):
    client = api(owner)
    error = assert_error(client.delete(f"members/{owner.pk}"), 409, "last_owner")
    assert "last owner" in error["message"]
    assert_error(
        client.patch(f"members/{owner.pk}", {"role_id": _role_id(owner.workspace, "Therapist")}),
        409,
        "last_owner",
    )
    assert_error(client.patch(f"members/{owner.pk}", {"is_active": False}), 409, "last_owner")
    owner.refresh_from_db()
    assert owner.is_active and owner.role.is_owner


def test_members_check_access(api, owner, therapist, outsider):
    assert_error(api(therapist).post("members", {"email": "x@y.test", "role": "Owner"}), 403)
    assert_error(api(therapist).delete(f"members/{owner.pk}"), 403)
    assert_error(api(therapist).patch(f"members/{owner.pk}", {"is_active": False}), 403)
    assert_error(api(outsider, "serena").get("members"), 404)
    # An id from another workspace is not found, even for an owner.
    assert_error(api(owner).get(f"members/{outsider.pk}"), 404)
    assert_error(api(owner).delete(f"members/{outsider.pk}"), 404)


def test_member_sets_own_hours(api, therapist):
    response = api(therapist).patch(
        f"members/{therapist.pk}", {"working_hours": {"wed": [["14:00", "20:00"]]}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["working_hours"]["wed"] == [["14:00", "20:00"]]


# --- roles and permissions --------------------------------------------------------------------


def test_permissions_catalogue(api, owner):
    codes = [p["code"] for p in api(owner).get("/api/v1/permissions").json()["items"]]
    assert "session.read" in codes and "audit.read" in codes and len(codes) == len(set(codes))


def test_roles_crud(api, owner, django_assert_max_num_queries):
    client = api(owner)
    with django_assert_max_num_queries(4):
        roles = client.get("roles").json()["items"]
    assert roles[0]["name"] == "Owner"
    created = client.post("roles", {"name": "Reception", "permissions": ["session.read"]})
    assert created.status_code == 201, created.content
    role_id = created.json()["id"]
    patched = client.patch(f"roles/{role_id}", {"permissions": ["session.read", "client.read"]})
    assert patched.json()["permissions"] == ["client.read", "session.read"]
    assert client.get(f"roles/{role_id}").json()["member_count"] == 0
    assert client.delete(f"roles/{role_id}").status_code == 204
    assert_error(client.get(f"roles/{role_id}"), 404)


def test_role_with_unknown_code_names_its_index(api, owner):
    error = assert_error(
        api(owner).post("roles", {"name": "X", "permissions": ["client.read", "x.y"]}),
        422,
        path="permissions[1]",
    )
    assert "x.y" in error["fields"][0]["message"]
    assert not Role.objects.filter(name="X").exists()


def test_owner_role_and_role_in_use_are_protected(api, owner, therapist):
    client = api(owner)
    owner_role = _role_id(owner.workspace, "Owner")
    assert_error(client.patch(f"roles/{owner_role}", {"permissions": []}), 409, "owner_role")
    assert_error(client.delete(f"roles/{owner_role}"), 409, "owner_role")
    assert_error(client.delete(f"roles/{therapist.role_id}"), 409, "role_in_use")


def test_roles_check_access(api, owner, therapist, outsider):
    assert_error(api(therapist).post("roles", {"name": "Mine", "permissions": []}), 403)
    assert_error(api(therapist).delete(f"roles/{therapist.role_id}"), 403)
    assert_error(api(outsider, "serena").get("roles"), 404)
    foreign = _role_id(outsider.workspace, "Assistant")
    assert_error(api(owner).get(f"roles/{foreign}"), 404)
    assert_error(api(owner).patch(f"roles/{foreign}", {"name": "Hijack"}), 404)


# --- API tokens -------------------------------------------------------------------------------


def test_tokens_create_list_revoke(api, therapist):
    client = api(therapist)
    created = client.post("api-tokens", {"name": "Spreadsheet"})
    assert created.status_code == 201, created.content
    raw = created.json()["token"]
    assert raw.startswith("atd_")
    listed = client.get("api-tokens").json()["items"]
    assert {t["name"] for t in listed} == {"tests", "Spreadsheet"}
    assert all("token" not in t for t in listed)
    in_use = next(t for t in listed if t["name"] == "tests")
    assert in_use["last_used_at"] is not None
    new_id = created.json()["id"]
    assert client.delete(f"api-tokens/{new_id}").status_code == 204
    assert ApiToken.objects.get(pk=new_id).revoked_at is not None


def test_tokens_are_private_to_their_owner(api, therapist, other_therapist, outsider):
    mine = api(therapist)
    theirs = api(other_therapist)
    their_token = ApiToken.objects.get(user=other_therapist.user)
    assert [t["name"] for t in mine.get("api-tokens").json()["items"]] == ["tests"]
    assert_error(mine.delete(f"api-tokens/{their_token.pk}"), 404)
    assert theirs.get("settings").status_code == 200
    assert_error(api(outsider, "serena").get("api-tokens"), 404)
    assert_error(mine.post("api-tokens", {"name": "  "}), 422, path="name")


# --- audit ------------------------------------------------------------------------------------


def test_audit_events_filters_and_cursor(api, owner, therapist, assistant, django_assert_max_num_queries):
    client = api(owner)
    for minutes in (15, 20, 30):
        client.patch("settings", {"slot_minutes": minutes})
    with django_assert_max_num_queries(4):
        page = client.get("audit-events", action="workspace.", limit=2).json()
    assert [e["action"] for e in page["items"]] == ["workspace.update", "workspace.update"]
    assert page["items"][0]["changes"]["slot_minutes"] == [20, 30]
    rest = client.get("audit-events", action="workspace.", limit=2, cursor=page["next_cursor"]).json()
    assert [e["action"] for e in rest["items"]] == ["workspace.update", "workspace.create"]
    assert rest["next_cursor"] is None
    members = client.get("audit-events", action="member.add").json()["items"]
    assert {e["object_label"] for e in members} == {"therapist@serena.test", "assistant@serena.test"}
    by_owner = client.get("audit-events", actor_id=owner.user_id).json()["items"]
    assert by_owner and all(e["actor_id"] == owner.user_id for e in by_owner)
    future = client.get("audit-events", since="2999-01-01T00:00:00Z").json()["items"]
    assert future == []


def test_audit_events_bad_input(api, owner):
    assert_error(api(owner).get("audit-events", cursor="garbage!"), 422, path="cursor")
    assert_error(api(owner).get("audit-events", limit=0), 422, path="limit")
    assert_error(
        api(owner).get("audit-events", since="2026-01-02T00:00:00Z", until="2026-01-01T00:00:00Z"),
        422,
        path="until",
    )


def test_audit_events_check_access(api, therapist, outsider, workspace):
    assert_error(api(therapist).get("audit-events"), 403)
    assert_error(api(outsider, "serena").get("audit-events"), 404)
    AuditEvent.objects.filter(workspace__slug="outra").exists()


# --- /me --------------------------------------------------------------------------------------


def test_me_with_a_token_shows_only_its_workspace(api, owner, other_workspace):
    from atendo.workspaces.services import member_add

    member_add(workspace=other_workspace, actor=None, email=owner.user.email, role_name="Therapist")
    body = api(owner).get("/api/v1/me").json()
    assert body["email"] == "owner@serena.test"
    assert [w["slug"] for w in body["workspaces"]] == ["serena"]
    assert body["workspaces"][0]["is_owner"] is True


def test_me_with_the_session_lists_every_workspace(page_client, owner, other_workspace):
    from atendo.workspaces.services import member_add

    member_add(workspace=other_workspace, actor=None, email=owner.user.email, role_name="Therapist")
    body = page_client(owner).get("/api/v1/me").json()
    assert sorted(w["slug"] for w in body["workspaces"]) == ["outra", "serena"]


def test_me_needs_authentication(client):
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")


def test_audit_events_accept_any_offset_and_refuse_out_of_range(api, owner):
    client = api(owner)
    assert client.get("audit-events", until="0166-10-24T12:17:27-17:25").status_code == 200
    assert client.get("audit-events", since="2026-01-01T00:00:00").status_code == 200  # workspace time
    assert_error(client.get("audit-events", until="0001-01-01T00:00:00+10:00"), 422, path="until")
