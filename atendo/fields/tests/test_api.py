"""The `fields` resource: CRUD, reorder, archive/restore, schema; permissions and isolation."""

from __future__ import annotations

import pytest

from atendo.audit.models import AuditEvent
from atendo.fields.models import FieldDefinition

pytestmark = pytest.mark.django_db

MOOD = {
    "scope": "session",
    "phase": "pre",
    "key": "mood",
    "label": "Mood",
    "type": "select",
    "options": [{"value": "good", "label": "Good"}, {"value": "bad", "label": "Bad"}],
    "filterable": True,
}


def create(client, **overrides):
    return client.post("fields", {**MOOD, **overrides})


def test_owner_creates_and_lists_session_fields(api, owner):
    client = api(owner)
    response = create(client)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["scope"] == "session" and body["phase"] == "pre" and body["clinical"] is True
    assert body["options"][0] == {"value": "good", "label": "Good", "retired": False}
    assert body["fields"] == [] and body["archived"] is False
    listed = client.get("fields", scope="session", phase="pre").json()
    assert [f["key"] for f in listed["items"]] == ["mood"] and listed["next_cursor"] is None
    assert client.get("fields", scope="session", phase="post").json()["items"] == []
    assert AuditEvent.objects.filter(action="field.create").count() == 1


def test_nested_definitions_are_rendered_as_fields(api, owner):
    response = api(owner).post(
        "fields",
        {
            "scope": "session",
            "phase": "post",
            "key": "follow_up",
            "label": "Follow-up",
            "type": "array",
            "fields": [
                {"key": "date", "label": "Date", "type": "date", "required": True},
                {"key": "kind", "label": "Kind", "type": "select", "options": ["call", "visit"]},
            ],
        },
    )
    assert response.status_code == 201, response.json()
    nested = response.json()["fields"]
    assert [f["key"] for f in nested] == ["date", "kind"]
    assert nested[1]["options"][1]["value"] == "visit"


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"key": "Bad Key"}, "key"),
        ({"type": "colour"}, "type"),
        ({"options": []}, "options"),
        ({"options": [{"value": "a"}, {"value": "a"}]}, "options[1].value"),
        ({"scope": "planet"}, "scope"),
        ({"phase": None}, "phase"),
        ({"type": "text", "options": [], "validation": {"pattern": "("}}, "validation.pattern"),
        ({"type": "text", "options": [], "validation": {"min": 1}}, "validation.min"),
        ({"type": "textarea", "options": [], "filterable": True}, "filterable"),
        (
            {"type": "array", "options": [], "fields": [{"key": "x", "label": "X", "type": "nope"}]},
            "fields[0].type",
        ),
    ],
)
def test_bad_definitions_name_the_path(api, owner, overrides, path):
    response = create(api(owner), **overrides)
    assert response.status_code == 422, response.json()
    assert path in [f["path"] for f in response.json()["error"]["fields"]]
    assert not FieldDefinition.objects.exists()


def test_keys_are_never_reused_even_archived(api, owner):
    client = api(owner)
    field_id = create(client).json()["id"]
    client.post(f"fields/{field_id}/archive")
    response = create(client, phase="post")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "duplicate"
    # Another scope may use the same key.
    assert create(client, scope="client", phase=None).status_code == 201


def test_update_archive_restore(api, owner):
    client = api(owner)
    field_id = create(client).json()["id"]
    response = client.patch(f"fields/{field_id}", {"label": "Humour", "required": True})
    assert response.status_code == 200 and response.json()["label"] == "Humour"
    assert client.patch(f"fields/{field_id}", {"key": "other"}).status_code == 422
    archived = client.post(f"fields/{field_id}/archive").json()
    assert archived["archived"] is True
    assert client.get("fields", scope="session").json()["items"] == []
    assert len(client.get("fields", scope="session", include_archived=True).json()["items"]) == 1
    assert client.post(f"fields/{field_id}/restore").json()["archived"] is False


def test_options_are_retired_not_removed(api, owner):
    client = api(owner)
    field_id = create(client).json()["id"]
    removed = client.patch(f"fields/{field_id}", {"options": [{"value": "good", "label": "Good"}]})
    assert removed.status_code == 422 and "retired" in removed.json()["error"]["message"]
    retired = client.patch(
        f"fields/{field_id}",
        {"options": [{"value": "good", "label": "Good"}, {"value": "bad", "label": "Bad", "retired": True}]},
    )
    assert retired.status_code == 200 and retired.json()["options"][1]["retired"] is True


def test_type_change_is_refused_once_values_exist(api, owner):
    from atendo.clients.models import Client

    client = api(owner)
    field_id = create(client, scope="client", phase=None, key="referral").json()["id"]
    # No values yet: the type may change.
    changed = client.patch(f"fields/{field_id}", {"type": "text"})
    assert changed.status_code == 200 and changed.json()["options"] == []
    Client.objects.create(workspace=owner.workspace, name="Ana", fields={"referral": "friend"})
    refused = client.patch(f"fields/{field_id}", {"type": "number"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "values_exist"
    assert "already has stored values" in refused.json()["error"]["message"]


def test_type_change_checks_session_phase_values(api, owner):
    from atendo.clients.models import Client
    from atendo.scheduling.models import Session

    client = api(owner)
    field_id = create(client, phase="post", key="outcome", type="text", options=[], filterable=False).json()[
        "id"
    ]
    person = Client.objects.create(workspace=owner.workspace, name="Ana")
    import datetime as dt

    from django.utils import timezone

    start = timezone.now()
    Session.objects.create(
        workspace=owner.workspace,
        name="S",
        client=person,
        practitioner=owner,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        duration_minutes=60,
        pre_fields={"outcome": "x"},
    )
    assert client.patch(f"fields/{field_id}", {"type": "textarea"}).status_code == 200  # pre, not post
    Session.objects.update(post_fields={"outcome": "y"})
    assert client.patch(f"fields/{field_id}", {"type": "text"}).status_code == 409


def test_reorder(api, owner):
    client = api(owner)
    ids = [create(client, key=k, type="text", options=[]).json()["id"] for k in ("a", "b", "c")]
    response = client.post("fields/reorder", {"scope": "session", "phase": "pre", "ids": [ids[2], ids[0]]})
    assert response.status_code == 200
    listed = client.get("fields", scope="session", phase="pre").json()["items"]
    assert [f["key"] for f in listed] == ["c", "a", "b"]
    bad = client.post("fields/reorder", {"scope": "session", "phase": "post", "ids": [ids[0]]})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == "ids[0]"


def test_schema_endpoint(api, owner):
    client = api(owner)
    create(client, required=True)
    schema = client.get("fields/schema", scope="session", phase="pre").json()
    assert schema["required"] == ["mood"]
    assert schema["properties"]["mood"]["enum"] == ["good", "bad"]
    assert client.get("fields/schema", scope="nope").status_code == 422


def test_therapy_type_scope(api, owner):
    from atendo.therapies.models import TherapyType

    reiki = TherapyType.objects.create(workspace=owner.workspace, name="Reiki")
    client = api(owner)
    response = create(client, scope=f"therapy_type:{reiki.pk}", phase=None, key="chakras")
    assert response.status_code == 201, response.json()
    assert response.json()["scope"] == f"therapy_type:{reiki.pk}"
    assert len(client.get("fields", scope=f"therapy_type:{reiki.pk}").json()["items"]) == 1
    assert client.get("fields", scope="therapy_type:999999").status_code == 422


@pytest.mark.parametrize(
    ("scope", "permission"),
    [
        ("client", "client.fields.manage"),
        ("session", "session.fields.manage"),
        ("evaluation", "evaluation.fields.manage"),
    ],
)
def test_each_scope_needs_its_own_permission(api, owner, therapist, scope, permission):
    role = therapist.role
    others = {"client.fields.manage", "session.fields.manage", "evaluation.fields.manage"} - {permission}
    role.permissions = sorted(set(role.permissions) | others)
    role.save()
    client = api(therapist)
    phase = "pre" if scope == "session" else None
    assert create(client, scope=scope, phase=phase).status_code == 403
    role.permissions = sorted(set(role.permissions) | {permission})
    role.save()
    assert create(client, scope=scope, phase=phase).status_code == 201


def test_it_checks_access(api, owner, assistant, outsider):
    field_id = create(api(owner)).json()["id"]
    helper = api(assistant)
    assert helper.get("fields", scope="session").status_code == 200  # reading definitions: any member
    assert helper.get(f"fields/{field_id}").status_code == 200
    assert create(helper, key="other").status_code == 403
    assert helper.patch(f"fields/{field_id}", {"label": "X"}).status_code == 403
    assert helper.post(f"fields/{field_id}/archive").status_code == 403
    assert helper.post(f"fields/{field_id}/restore").status_code == 403
    assert (
        helper.post("fields/reorder", {"scope": "session", "phase": "pre", "ids": [field_id]}).status_code
        == 403
    )
    stranger = api(outsider, workspace_slug="serena")
    for response in (
        stranger.get("fields", scope="session"),
        stranger.get("fields/schema", scope="session"),
        stranger.get(f"fields/{field_id}"),
        create(stranger, key="x"),
        stranger.patch(f"fields/{field_id}", {"label": "X"}),
        stranger.post(f"fields/{field_id}/archive"),
        stranger.post(f"fields/{field_id}/restore"),
        stranger.post("fields/reorder", {"scope": "session", "phase": "pre", "ids": [field_id]}),
    ):
        assert response.status_code == 404
    # The outsider's own workspace does not see serena's definition either.
    own = api(outsider)
    assert own.get(f"fields/{field_id}").status_code == 404
    assert own.post(f"fields/{field_id}/archive").status_code == 404


def test_nested_fields_can_grow_but_not_break_once_values_exist(api, owner):
    from atendo.clients.models import Client

    client = api(owner)
    nested = [{"key": "date", "label": "Date", "type": "date"}]
    field_id = client.post(
        "fields", {"scope": "client", "key": "plan", "label": "Plan", "type": "array", "fields": nested}
    ).json()["id"]
    Client.objects.create(workspace=owner.workspace, name="Ana", fields={"plan": [{"date": "2026-01-01"}]})
    grown = client.patch(
        f"fields/{field_id}", {"fields": [*nested, {"key": "note", "label": "N", "type": "text"}]}
    )
    assert grown.status_code == 200 and [f["key"] for f in grown.json()["fields"]] == ["date", "note"]
    retyped = client.patch(
        f"fields/{field_id}", {"fields": [{"key": "date", "label": "Date", "type": "text"}]}
    )
    assert retyped.status_code == 409 and retyped.json()["error"]["code"] == "values_exist"
    assert "nested field date cannot be removed or change type" in retyped.json()["error"]["message"]
    removed = client.patch(f"fields/{field_id}", {"fields": [{"key": "note", "label": "N", "type": "text"}]})
    assert removed.status_code == 409


def _field_manager_without_clinical_access(workspace, owner):
    from atendo.workspaces.models import Membership
    from atendo.workspaces.services import member_add, role_create

    role_create(member=owner, name="Form designer", permissions=["session.read", "session.fields.manage"])
    member_add(workspace=workspace, actor=owner, email="designer@serena.test", role_name="Form designer")
    return Membership.objects.select_related("workspace", "role", "user").get(
        workspace=workspace, user__email="designer@serena.test"
    )


def test_field_manager_without_clinical_access_cannot_make_a_clinical_field_administrative(
    api, owner, workspace
):
    definition_id = create(api(owner)).json()["id"]
    designer = _field_manager_without_clinical_access(workspace, owner)
    response = api(designer).patch(f"fields/{definition_id}", {"clinical": False})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "clinical_forbidden"
    assert FieldDefinition.objects.get(pk=definition_id).clinical is True
    # The other way (administrative -> clinical) hides values: always allowed to a field manager.
    room = {
        "scope": "session",
        "phase": "pre",
        "key": "room",
        "label": "Room",
        "type": "text",
        "clinical": False,
    }
    admin_id = api(owner).post("fields", room).json()["id"]
    assert api(designer).patch(f"fields/{admin_id}", {"clinical": True}).status_code == 200


def test_owner_may_make_a_clinical_field_administrative(api, owner):
    definition_id = create(api(owner)).json()["id"]
    response = api(owner).patch(f"fields/{definition_id}", {"clinical": False})
    assert response.status_code == 200, response.json()
    assert response.json()["clinical"] is False
