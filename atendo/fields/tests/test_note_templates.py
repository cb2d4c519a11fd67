"""Note templates: SOAP, DAP, BIRP and the practice's own, added in one click (idempotent, through the
field services so validation and audit apply), labels in the adder's language, a default template
per therapy type whose fields the record of its sessions asks for; through the API and the pages,
for every persona."""

from __future__ import annotations

import pytest
from django.utils import translation

from atendo.audit.models import AuditEvent
from atendo.fields.models import FieldDefinition, NoteTemplate, NoteTemplateDefault
from atendo.fields.note_templates import BUILTIN
from tests.factories import ClientFactory, FieldDefinitionFactory, SessionFactory, TherapyTypeFactory

pytestmark = pytest.mark.django_db

SOAP_KEYS = ["soap_subjective", "soap_objective", "soap_assessment", "soap_plan"]


def _session_fields(workspace):
    return list(
        FieldDefinition.objects.filter(workspace=workspace, scope="session")
        .order_by("phase", "order")
        .values_list("phase", "key", "label", "archived")
    )


def test_the_catalogue_lists_soap_dap_birp_and_the_practice_own(api, owner):
    body = api(owner).get("note-templates").json()
    assert [t["key"] for t in body["items"]] == ["soap", "dap", "birp"]
    soap = body["items"][0]
    assert [(f["key"], f["phase"]) for f in soap["fields"]] == [
        ("soap_subjective", "during"),
        ("soap_objective", "during"),
        ("soap_assessment", "post"),
        ("soap_plan", "post"),
    ]
    assert soap["fields"][0]["label"] == "Subjective" and soap["builtin"] is True
    assert body["defaults"] == []


def test_adding_a_template_creates_its_fields_once(api, owner, workspace):
    boss = api(owner)
    FieldDefinitionFactory(workspace=workspace, scope="session", phase="during", key="mood")
    first = boss.post("note-templates/apply", {"template": "soap"})
    assert first.status_code == 200, first.content
    assert [f["key"] for f in first.json()["created"]] == SOAP_KEYS
    assert all(f["type"] == "textarea" and f["clinical"] for f in first.json()["created"])
    fields = _session_fields(workspace)
    assert [(p, k) for p, k, _l, _a in fields] == [
        ("during", "mood"),
        ("during", "soap_subjective"),
        ("during", "soap_objective"),
        ("post", "soap_assessment"),
        ("post", "soap_plan"),
    ]
    again = boss.post("note-templates/apply", {"template": "soap"}).json()
    assert (again["created"], again["restored"], again["existing"]) == ([], [], SOAP_KEYS)
    assert len(_session_fields(workspace)) == 5
    # An archived field of the template comes back instead of a second one.
    plan = FieldDefinition.objects.get(workspace=workspace, key="soap_plan")
    boss.post(f"fields/{plan.pk}/archive")
    back = boss.post("note-templates/apply", {"template": "soap"}).json()
    assert [f["key"] for f in back["restored"]] == ["soap_plan"] and back["created"] == []
    # Each field went through the field services: one field.create each, and the template's event.
    assert AuditEvent.objects.filter(action="field.create").count() == 5
    applied = AuditEvent.objects.filter(action="note_template.apply").order_by("seq")
    assert [e.changes["created"] for e in applied] == [SOAP_KEYS, [], []]
    # The new fields are the session's during/post fields, in the schema a save validates against.
    schema = boss.get("fields/schema", scope="session", phase="post").json()
    assert {"soap_assessment", "soap_plan"} <= set(schema["properties"])


def test_templates_share_no_keys_and_add_side_by_side(api, owner, workspace):
    boss = api(owner)
    for key in BUILTIN:
        assert boss.post("note-templates/apply", {"template": key}).status_code == 200
    assert len(_session_fields(workspace)) == sum(len(t["fields"]) for t in BUILTIN.values()) == 11


def test_labels_are_written_in_the_language_of_who_adds_them(api, owner, workspace):
    with translation.override("pt-br"):
        expected = [str(f["label"]) for f in BUILTIN["birp"]["fields"]]
    assert expected == ["Comportamento", "Intervenção", "Resposta", "Plano"]
    listed = api(owner).http.get(api(owner).url("note-templates"), HTTP_ACCEPT_LANGUAGE="pt-br")
    assert [f["label"] for f in listed.json()["items"][2]["fields"]] == expected


def test_labels_follow_gettext_when_added(api, owner, workspace):
    """Whatever the catalogue holds, what is stored is the adder's language's gettext of the label."""
    boss = api(owner)
    with translation.override("pt-br"):
        portuguese = [str(f["label"]) for f in BUILTIN["dap"]["fields"]]
    response = boss.http.post(
        boss.url("note-templates/apply"),
        {"template": "dap"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="pt-br",
    )
    assert response.status_code == 200, response.content
    stored = list(
        FieldDefinition.objects.filter(workspace=workspace, key__startswith="dap_")
        .order_by("phase", "order")
        .values_list("label", flat=True)
    )
    assert stored == portuguese
    english = boss.get("note-templates").json()["items"][1]["fields"]
    assert [f["label"] for f in english] == ["Data", "Assessment", "Plan"]


def test_who_may_add_templates(api, owner, therapist, assistant, outsider, workspace):
    tt = TherapyTypeFactory(workspace=workspace, name="Reiki")
    for member in (therapist, assistant):
        for call in (
            lambda m: api(m).post("note-templates/apply", {"template": "soap"}),
            lambda m: api(m).post(
                "note-templates/apply", {"template": "soap", "scope": f"therapy_type:{tt.pk}"}
            ),
            lambda m: api(m).put(f"therapy-types/{tt.pk}/note-template", {"template": "dap"}),
            lambda m: api(m).post(
                "note-templates",
                {"name": "Minha", "fields": [{"phase": "post", "key": "k", "label": "K"}]},
            ),
        ):
            response = call(member)
            assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden"), (
                member,
                response.content,
            )
    assert api(therapist).get("note-templates").status_code == 200  # labels only: nothing clinical
    foreign = api(outsider).http.post(
        "/api/v1/workspaces/serena/note-templates/apply",
        {"template": "soap"},
        content_type="application/json",
    )
    assert foreign.status_code == 404
    assert not FieldDefinition.objects.filter(workspace=workspace).exists()


def test_bad_input_names_its_field(api, owner, workspace):
    boss = api(owner)
    unknown = boss.post("note-templates/apply", {"template": "xyz"})
    assert (unknown.status_code, unknown.json()["error"]["fields"][0]["path"]) == (422, "template")
    client_scope = boss.post("note-templates/apply", {"template": "soap", "scope": "client"})
    assert client_scope.json()["error"]["fields"][0]["path"] == "scope"
    other = boss.post("note-templates/apply", {"template": "soap", "scope": "therapy_type:999999"})
    assert other.json()["error"]["fields"][0]["path"] == "scope"
    bad = boss.post(
        "note-templates",
        {
            "name": "Minha",
            "fields": [
                {"phase": "pre", "key": "a", "label": "A"},
                {"phase": "post", "key": "Bad Key!", "label": "B"},
                {"phase": "post", "key": "c", "label": "C", "type": "nope"},
            ],
        },
    )
    assert bad.status_code == 422
    assert [f["path"] for f in bad.json()["error"]["fields"]] == [
        "fields[0].phase",
        "fields[1].key",
        "fields[2].type",
    ]
    assert (
        boss.post(
            "note-templates", {"name": "SOAP", "fields": [{"phase": "post", "key": "k", "label": "K"}]}
        ).json()["error"]["fields"][0]["path"]
        == "name"
    )
    assert not NoteTemplate.objects.exists()


def test_the_practice_own_template(api, owner, outsider, workspace):
    boss = api(owner)
    created = boss.post(
        "note-templates",
        {
            "name": "Anamnese breve",
            "fields": [
                {"phase": "during", "key": "queixa", "label": "Queixa"},
                {
                    "phase": "post",
                    "key": "risco",
                    "label": "Risco",
                    "type": "select",
                    "options": [{"value": "baixo", "label": "Baixo"}, {"value": "alto", "label": "Alto"}],
                },
            ],
        },
    )
    assert created.status_code == 201, created.content
    key = created.json()["key"]
    assert key == f"practice-{created.json()['id']}" and created.json()["builtin"] is False
    assert [t["key"] for t in boss.get("note-templates").json()["items"]][-1] == key
    applied = boss.post("note-templates/apply", {"template": key}).json()
    assert [f["key"] for f in applied["created"]] == ["queixa", "risco"]
    assert FieldDefinition.objects.get(key="risco").options[1]["value"] == "alto"
    dup = boss.post(
        "note-templates", {"name": "Anamnese breve", "fields": [{"phase": "post", "key": "x", "label": "X"}]}
    )
    assert (dup.status_code, dup.json()["error"]["code"]) == (422, "duplicate")
    # Another practice neither sees nor adds it.
    outsider_api = api(outsider)
    assert [t["key"] for t in outsider_api.get("note-templates").json()["items"]] == ["soap", "dap", "birp"]
    assert outsider_api.post("note-templates/apply", {"template": key}).status_code == 422
    assert outsider_api.delete(f"note-templates/{created.json()['id']}").status_code == 404
    assert boss.delete(f"note-templates/{created.json()['id']}").status_code == 204
    assert not NoteTemplate.objects.exists() and FieldDefinition.objects.filter(key="queixa").exists()
    assert AuditEvent.objects.filter(action__in=["note_template.create", "note_template.delete"]).count() == 2


def test_a_therapy_type_default_template_gives_its_sessions_the_fields(api, owner, therapist, workspace):
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki")
    boss = api(owner)
    chosen = boss.put(f"therapy-types/{reiki.pk}/note-template", {"template": "soap"})
    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["scope"] == f"therapy_type:{reiki.pk}"
    assert [f["key"] for f in chosen.json()["created"]] == SOAP_KEYS
    assert boss.get("note-templates").json()["defaults"] == [
        {"therapy_type_id": reiki.pk, "template": "soap"}
    ]
    listed = boss.get("fields", scope=f"therapy_type:{reiki.pk}").json()["items"]
    assert [f["key"] for f in listed] == SOAP_KEYS
    assert not FieldDefinition.objects.filter(scope="session").exists()  # other types are untouched
    # A session of the type is recorded with the template's fields.
    client = ClientFactory(workspace=workspace, practitioners=[therapist])
    session = SessionFactory(client=client, practitioner=therapist, therapy_type=reiki, days_ago=1)
    recorded = api(therapist).post(
        f"sessions/{session.pk}/record",
        {
            "version": session.version,
            "therapy_fields": {"soap_subjective": "Dor nas costas.", "soap_plan": "Voltar."},
        },
    )
    assert recorded.status_code == 200, recorded.content
    assert api(therapist).get(f"sessions/{session.pk}").json()["therapy_fields"]["soap_plan"] == "Voltar."
    # Another default: SOAP's fields archived (values kept), BIRP's added.
    switched = boss.put(f"therapy-types/{reiki.pk}/note-template", {"template": "birp"}).json()
    assert [f["key"] for f in switched["created"]] == [f["key"] for f in BUILTIN["birp"]["fields"]]
    live = [f["key"] for f in boss.get("fields", scope=f"therapy_type:{reiki.pk}").json()["items"]]
    assert live == [f["key"] for f in BUILTIN["birp"]["fields"]]
    assert FieldDefinition.objects.filter(key__in=SOAP_KEYS, archived=True).count() == 4
    assert api(therapist).get(f"sessions/{session.pk}").json()["therapy_fields"]["soap_plan"] == "Voltar."
    # Back to SOAP restores its fields; none clears the default.
    back = boss.put(f"therapy-types/{reiki.pk}/note-template", {"template": "soap"}).json()
    assert [f["key"] for f in back["restored"]] == SOAP_KEYS
    assert boss.put(f"therapy-types/{reiki.pk}/note-template", {"template": None}).status_code == 200
    assert not NoteTemplateDefault.objects.exists()
    assert boss.put("therapy-types/999999/note-template", {"template": "soap"}).status_code == 404


# --- pages ------------------------------------------------------------------------------------------


def test_the_session_fields_page_has_the_note_templates_card(page_client, owner, workspace):
    http = page_client(owner)
    page = http.get("/w/serena/settings/fields/session/").content.decode()
    assert 'id="note-templates"' in page and "SOAP" in page and "BIRP" in page
    added = http.post("/w/serena/settings/fields/session/note-templates/add/", {"template": "soap"})
    assert added.status_code == 302
    assert [k for _p, k, _l, _a in _session_fields(workspace)] == SOAP_KEYS
    again = http.post(
        "/w/serena/settings/fields/session/note-templates/add/", {"template": "soap"}, follow=True
    )
    assert "already here" in again.content.decode()
    assert len(_session_fields(workspace)) == 4
    page = http.get("/w/serena/settings/fields/session/").content.decode()
    assert 'data-template="soap"' in page and "Added" in page
    saved = http.post("/w/serena/settings/note-templates/save/", {"name": "Nossa ficha"}, follow=True)
    assert saved.status_code == 200 and "Nossa ficha" in saved.content.decode()
    own = NoteTemplate.objects.get()
    assert [f["key"] for f in own.fields] == [
        "soap_subjective",
        "soap_objective",
        "soap_assessment",
        "soap_plan",
    ]
    empty_name = http.post("/w/serena/settings/note-templates/save/", {"name": " "}, follow=True)
    assert "Name the template." in empty_name.content.decode()
    assert http.post(f"/w/serena/settings/note-templates/{own.pk}/delete/").status_code == 302
    assert not NoteTemplate.objects.exists()


def test_the_therapy_type_fields_page_chooses_the_default(page_client, owner, workspace):
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki")
    http = page_client(owner)
    scope = f"therapy_type:{reiki.pk}"
    page = http.get(f"/w/serena/settings/fields/{scope}/").content.decode()
    assert "Default note template" in page
    chosen = http.post(f"/w/serena/settings/fields/{scope}/note-templates/default/", {"template": "dap"})
    assert chosen.status_code == 302
    assert NoteTemplateDefault.objects.get().template == "dap"
    page = http.get(f"/w/serena/settings/fields/{scope}/").content.decode()
    assert '<option value="dap" selected>' in page and "dap_data" in page
    wrong = http.post(
        f"/w/serena/settings/fields/{scope}/note-templates/default/", {"template": "x"}, follow=True
    )
    assert "There is no note template" in wrong.content.decode()
    assert (
        http.post("/w/serena/settings/fields/client/note-templates/add/", {"template": "soap"}).status_code
        == 404
    )


def test_the_card_in_portuguese(page_client, owner):
    http = page_client(owner)
    http.cookies["django_language"] = "pt-br"
    page = http.get("/w/serena/settings/fields/session/", HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    with translation.override("pt-br"):
        from django.utils.translation import gettext

        title = gettext("Note templates")
        label = str(BUILTIN["soap"]["fields"][0]["label"])
    assert title in page and label in page


@pytest.mark.parametrize("persona", ["therapist", "assistant"])
def test_members_without_field_management_get_403_pages(persona, request, page_client, workspace):
    member = request.getfixturevalue(persona)
    http = page_client(member)
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki")
    assert (
        http.post("/w/serena/settings/fields/session/note-templates/add/", {"template": "soap"}).status_code
        == 403
    )
    assert (
        http.post(
            f"/w/serena/settings/fields/therapy_type:{reiki.pk}/note-templates/default/", {"template": "soap"}
        ).status_code
        == 403
    )
    assert http.post("/w/serena/settings/note-templates/save/", {"name": "X"}).status_code == 403
    assert not FieldDefinition.objects.exists() and not NoteTemplate.objects.exists()
