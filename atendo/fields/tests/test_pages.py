"""Field settings pages, and the reusable custom-field form (render + parse) on every type."""

from __future__ import annotations

import base64
import io

import pytest
from django.http import QueryDict
from django.template import Context, Template
from django.utils.datastructures import MultiValueDict
from PIL import Image

from atendo.core.errors import ValidationFailed
from atendo.fields.engine import definitions_for, validate_values
from atendo.fields.forms import FieldValuesForm
from atendo.fields.models import FieldDefinition
from atendo.files.models import Attachment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def attachments_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "files"


def define(workspace, key, type, **extra):
    extra.setdefault("scope", "session")
    extra.setdefault("phase", "pre" if extra["scope"] == "session" else "")
    return FieldDefinition.objects.create(
        workspace=workspace, key=key, label=extra.pop("label", key.title()), type=type, **extra
    )


def test_settings_list_shows_each_phase(page_client, owner):
    define(owner.workspace, "mood", "text")
    define(owner.workspace, "outcome", "text", phase="post", archived=True)
    body = page_client(owner).get("/w/serena/settings/fields/session/").content.decode()
    assert "mood" in body and "outcome" in body and "Restore" in body
    assert 'data-reorder-url="/w/serena/settings/fields/session/reorder/?phase=pre"' in body


def test_field_page_title_follows_the_reader_language(page_client, owner):
    # Both languages in one test: a title translated once at import would be wrong in one of them.
    english = page_client(owner).get("/w/serena/settings/fields/session/", HTTP_ACCEPT_LANGUAGE="en")
    assert "<h1>Session fields</h1>" in english.content.decode()
    client = page_client(owner)
    client.cookies["django_language"] = "pt-br"
    portuguese = client.get("/w/serena/settings/fields/session/", HTTP_ACCEPT_LANGUAGE="pt-br")
    assert "<h1>Campos da sessão</h1>" in portuguese.content.decode()


def test_create_and_edit_through_the_page(page_client, owner):
    client = page_client(owner)
    response = client.post(
        "/w/serena/settings/fields/session/new/?phase=post",
        {
            "key": "follow_up",
            "label": "Follow-up",
            "type": "array",
            "clinical": "on",
            "children": '[{"key": "date", "label": "Date", "type": "date", "required": true}]',
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    definition = FieldDefinition.objects.get(key="follow_up")
    assert definition.phase == "post" and definition.children[0]["type"] == "date"
    bad = client.post(
        f"/w/serena/settings/fields/session/{definition.pk}/edit/",
        {
            "label": "Follow-up",
            "type": "array",
            "children": '[{"key": "date", "label": "D", "type": "when"}]',
        },
    )
    assert bad.status_code == 200 and "fields[0].type" in bad.content.decode()
    ok = client.post(
        f"/w/serena/settings/fields/session/{definition.pk}/edit/",
        {
            "label": "Próximos passos",
            "type": "array",
            "children": '[{"key": "date", "label": "D", "type": "date"}]',
        },
    )
    assert ok.status_code == 302
    definition.refresh_from_db()
    assert definition.label == "Próximos passos" and definition.clinical is False


def test_select_options_and_validation_from_the_page(page_client, owner):
    response = page_client(owner).post(
        "/w/serena/settings/fields/client/new/",
        {
            "key": "weight",
            "label": "Weight",
            "type": "number",
            "min": "0",
            "max": "300",
            "step": "0.5",
        },
    )
    assert response.status_code == 302
    assert FieldDefinition.objects.get(key="weight").validation == {"min": 0, "max": 300, "step": 0.5}
    page_client(owner).post(
        "/w/serena/settings/fields/client/new/",
        {"key": "mood", "label": "Mood", "type": "select", "options": "good | Good\nmeh | Meh | retired"},
    )
    assert FieldDefinition.objects.get(key="mood").options == [
        {"value": "good", "label": "Good", "retired": False},
        {"value": "meh", "label": "Meh", "retired": True},
    ]


def test_reorder_by_drag_post_and_by_buttons(page_client, owner):
    a, b, c = (define(owner.workspace, k, "text") for k in ("a", "b", "c"))
    client = page_client(owner)
    response = client.post(
        "/w/serena/settings/fields/session/reorder/?phase=pre", {"ids": [c.pk, a.pk, b.pk]}
    )
    assert response.status_code == 200
    assert [d.key for d in definitions_for(workspace=owner.workspace, scope="session")] == ["c", "a", "b"]
    client.post(
        "/w/serena/settings/fields/session/reorder/", {"phase": "pre", "move": b.pk, "direction": "up"}
    )
    assert [d.key for d in definitions_for(workspace=owner.workspace, scope="session")] == ["c", "b", "a"]


def test_archive_and_restore_from_the_page(page_client, owner):
    d = define(owner.workspace, "mood", "text")
    client = page_client(owner)
    client.post(f"/w/serena/settings/fields/session/{d.pk}/archive/", {"action": "archive"})
    d.refresh_from_db()
    assert d.archived
    client.post(f"/w/serena/settings/fields/session/{d.pk}/archive/", {"action": "restore"})
    d.refresh_from_db()
    assert not d.archived


def test_settings_pages_check_access(page_client, owner, therapist, outsider):
    d = define(owner.workspace, "mood", "text")
    urls = [
        "/w/serena/settings/fields/session/",
        "/w/serena/settings/fields/session/new/?phase=pre",
        f"/w/serena/settings/fields/session/{d.pk}/edit/",
    ]
    for url in urls:
        assert page_client(therapist).get(url).status_code == 403
        assert page_client(outsider).get(url).status_code == 404
    for url in (
        f"/w/serena/settings/fields/session/{d.pk}/archive/",
        "/w/serena/settings/fields/session/reorder/",
    ):
        assert page_client(therapist).post(url, {"phase": "pre", "ids": [d.pk]}).status_code == 403
        assert page_client(outsider).post(url, {"phase": "pre", "ids": [d.pk]}).status_code == 404
    assert page_client(owner).get("/w/serena/settings/fields/planet/").status_code == 404
    role = therapist.role
    role.permissions = [*role.permissions, "client.fields.manage"]
    role.save()
    assert page_client(therapist).get("/w/serena/settings/fields/client/").status_code == 200
    assert page_client(therapist).get("/w/serena/settings/fields/session/").status_code == 403


# --- the reusable form ------------------------------------------------------------------------


def png_data_url() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 10), "white").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def every_type(workspace, owner):
    kinds = [
        ("t", "text", {}),
        ("ta", "textarea", {}),
        ("n", "number", {}),
        ("b", "boolean", {}),
        ("d", "date", {}),
        ("dt", "datetime", {}),
        (
            "s",
            "select",
            {"options": [{"value": "x", "label": "X"}, {"value": "old", "label": "Old", "retired": True}]},
        ),
        ("ms", "multi_select", {"options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]}),
        ("img", "image", {}),
        ("f", "file", {}),
        ("sig", "signature", {}),
        ("who", "team_member", {}),
        ("obj", "object", {"children": [{"key": "when", "label": "When", "type": "date"}]}),
        (
            "arr",
            "array",
            {
                "children": [
                    {"key": "day", "label": "Day", "type": "date", "required": True},
                    {"key": "who", "label": "Who", "type": "team_member"},
                ]
            },
        ),
    ]
    for order, (key, type_, extra) in enumerate(kinds):
        define(workspace, key, type_, order=order, **extra)
    return definitions_for(workspace=workspace, scope="session", phase="pre")


def test_form_renders_every_type_and_parses_back(owner, therapist):
    from django.core.files.uploadedfile import SimpleUploadedFile

    definitions = every_type(owner.workspace, owner)
    form = FieldValuesForm(member=owner, definitions=definitions, prefix="fields.pre", values={"s": "old"})
    html = Template("{% load fields %}{% render_fields form %}").render(Context({"form": form}))
    for name in (
        "fields.pre.t",
        "fields.pre.n",
        "fields.pre.ms__multi",
        "fields.pre.img__upload",
        "fields.pre.sig__data",
        "fields.pre.obj.when",
        "fields.pre.arr[0].day",
        "__I0__",
    ):
        assert f'name="{name}' in html or name in html, name
    assert ">Old<" in html  # a retired option still shows for the stored value
    assert "Theo Therapist" in html
    post = QueryDict(mutable=True)
    post.update(
        {
            "fields.pre.t": " hi ",
            "fields.pre.ta": "long\ntext",
            "fields.pre.n": "7.5",
            "fields.pre.b": "false",
            "fields.pre.d": "2026-01-02",
            "fields.pre.dt": "2026-01-02T10:30",
            "fields.pre.s": "x",
            "fields.pre.ms__multi": "1",
            "fields.pre.sig__data": png_data_url(),
            "fields.pre.who": str(therapist.pk),
            "fields.pre.obj.when": "2026-02-03",
            "fields.pre.arr[0].day": "2026-03-04",
            "fields.pre.arr[2].day": "2026-03-05",
            "fields.pre.arr[2].who": str(owner.pk),
            "fields.pre.arr[5].day": "",
        }
    )
    post.setlist("fields.pre.ms", ["y", "x"])
    post.appendlist("fields.pre.b", "true")
    files = MultiValueDict(
        {
            "fields.pre.img__upload": [
                SimpleUploadedFile("a.png", base64.b64decode(png_data_url().split(",")[1]))
            ]
        }
    )
    values = form.parse(post, files)
    form.raise_upload_errors()
    cleaned = validate_values(
        workspace=owner.workspace, scope="session", phase="pre", path="fields.pre", values=values
    )
    signature = Attachment.objects.get(kind="signature")
    image = Attachment.objects.get(kind="image")
    assert cleaned == {
        "t": "hi",
        "ta": "long\ntext",
        "n": 7.5,
        "b": True,
        "d": "2026-01-02",
        "dt": "2026-01-02T10:30-03:00",
        "s": "x",
        "ms": ["y", "x"],
        "img": image.pk,
        "sig": signature.pk,
        "who": therapist.pk,
        "obj": {"when": "2026-02-03"},
        "arr": [{"day": "2026-03-04"}, {"day": "2026-03-05", "who": owner.pk}],
    }
    # Re-rendered with the stored values: the signature and image show, rows come back in order.
    again = FieldValuesForm(member=owner, definitions=definitions, prefix="fields.pre", values=cleaned)
    html = Template("{% load fields %}{% render_fields form %}").render(Context({"form": again}))
    assert (
        f"/w/serena/files/{signature.pk}/" in html
        and 'name="fields.pre.arr[1].day" value="2026-03-05"' in html
    )


def test_form_shows_engine_errors_at_the_nested_field(owner):
    definitions = every_type(owner.workspace, owner)
    form = FieldValuesForm(member=owner, definitions=definitions, prefix="fields.pre")
    post = QueryDict(mutable=True)
    post.update({"fields.pre.arr[0].day": "2026-02-30", "fields.pre.arr[0].who": "1"})
    values = form.parse(post, MultiValueDict())
    with pytest.raises(ValidationFailed) as excinfo:
        validate_values(
            workspace=owner.workspace, scope="session", phase="pre", path="fields.pre", values=values
        )
    form.add_errors(excinfo.value)
    html = Template("{% load fields %}{% render_fields form %}").render(Context({"form": form}))
    assert 'id="f-fields-pre-arr-0-day-error"' in html and "YYYY-MM-DD" in html


def test_a_bad_signature_upload_is_an_error_at_its_path(owner):
    definitions = every_type(owner.workspace, owner)
    form = FieldValuesForm(member=owner, definitions=definitions, prefix="fields.pre")
    post = QueryDict(mutable=True)
    post.update({"fields.pre.sig__data": "data:image/png;base64,bm90IGFuIGltYWdl"})
    form.parse(post, MultiValueDict())
    with pytest.raises(ValidationFailed) as excinfo:
        form.raise_upload_errors()
    assert excinfo.value.fields[0].path == "fields.pre.sig"
    assert not Attachment.objects.exists()


def test_clinical_definitions_can_be_left_out(owner):
    define(owner.workspace, "secret", "text")
    define(owner.workspace, "room", "text", clinical=False)
    form = FieldValuesForm(
        member=owner,
        definitions=definitions_for(workspace=owner.workspace, scope="session"),
        prefix="fields.pre",
        can_write_clinical=False,
    )
    assert [n["key"] for n in form.nodes()] == ["room"]


def test_evaluation_and_therapy_type_scopes_have_pages(page_client, owner, therapist):
    from atendo.therapies.models import TherapyType

    reiki = TherapyType.objects.create(workspace=owner.workspace, name="Reiki")
    client = page_client(owner)
    assert client.get("/w/serena/settings/fields/evaluation/").status_code == 200
    page = client.get(f"/w/serena/settings/fields/therapy_type:{reiki.pk}/")
    assert page.status_code == 200 and "Fields of Reiki" in page.content.decode()
    response = client.post(
        f"/w/serena/settings/fields/therapy_type:{reiki.pk}/new/",
        {"key": "chakras", "label": "Chakras", "type": "text", "clinical": "on"},
    )
    assert response.status_code == 302
    assert FieldDefinition.objects.get(key="chakras").therapy_type_id == reiki.pk
    assert client.get("/w/serena/settings/fields/therapy_type:999999/").status_code == 404
    assert (
        page_client(therapist).get(f"/w/serena/settings/fields/therapy_type:{reiki.pk}/").status_code == 403
    )


def test_nested_fields_are_added_and_edited_without_json(page_client, owner):
    client = page_client(owner)
    client.post(
        "/w/serena/settings/fields/session/new/?phase=post",
        {
            "key": "follow_up",
            "label": "Follow-up",
            "type": "array",
            "clinical": "on",
            "children": '[{"key": "date", "label": "Date", "type": "date"}]',
        },
    )
    definition = FieldDefinition.objects.get(key="follow_up")
    base = f"/w/serena/settings/fields/session/{definition.pk}/nested/"
    edit_page = client.get(f"/w/serena/settings/fields/session/{definition.pk}/edit/").content.decode()
    assert f"{base}?at=&amp;index=0" in edit_page and "Add a nested field" in edit_page
    # Add an object at the top level, then a select inside it.
    assert (
        client.post(
            f"{base}?at=",
            {
                "key": "contact",
                "label": "Contact",
                "type": "object",
                "children": '[{"key": "name", "label": "Name", "type": "text"}]',
            },
        ).status_code
        == 302
    )
    response = client.post(
        f"{base}?at=1",
        {"key": "channel", "label": "Channel", "type": "select", "options": "phone | Phone\nmail | E-mail"},
    )
    assert response.status_code == 302
    definition.refresh_from_db()
    assert [c["key"] for c in definition.children] == ["date", "contact"]
    assert [c["key"] for c in definition.children[1]["fields"]] == ["name", "channel"]
    # Edit the nested date's label; a bad nested value shows at the form field.
    assert client.post(f"{base}?at=&index=0", {"label": "When", "type": "date"}).status_code == 302
    definition.refresh_from_db()
    assert definition.children[0]["label"] == "When" and definition.children[0]["key"] == "date"
    bad = client.post(f"{base}?at=1", {"key": "Bad Key", "label": "X", "type": "text"})
    assert bad.status_code == 200 and "A key starts with a lowercase letter" in bad.content.decode()
    assert client.get(f"{base}?at=7").status_code == 404
    assert client.get(f"{base}?at=&index=9").status_code == 404


def test_nested_editor_checks_access(page_client, owner, therapist, outsider):
    d = define(owner.workspace, "plan", "array", children=[{"key": "day", "label": "Day", "type": "date"}])
    url = f"/w/serena/settings/fields/session/{d.pk}/nested/?at="
    assert page_client(therapist).get(url).status_code == 403
    assert page_client(therapist).post(url, {"key": "x", "label": "X", "type": "text"}).status_code == 403
    assert page_client(outsider).get(url).status_code == 404
    assert page_client(outsider).post(url, {"key": "x", "label": "X", "type": "text"}).status_code == 404
    flat = define(owner.workspace, "mood", "text")
    assert page_client(owner).get(f"/w/serena/settings/fields/session/{flat.pk}/nested/").status_code == 404
    d.refresh_from_db()
    assert [c["key"] for c in d.children] == ["day"]
