"""A text field's `validation.pattern`: matched by RE2 (linear time), refused at definition time when
RE2 cannot compile it, and failing closed when such a pattern was stored before that rule."""

from __future__ import annotations

import pytest

from atendo.fields.models import FieldDefinition
from atendo.fields.patterns import compile_pattern

pytestmark = pytest.mark.django_db

EVIL = "^(a+)+$"


def define_code_field(client, pattern, **extra):
    return client.post(
        "fields",
        {
            "scope": "client",
            "key": "code",
            "label": "Code",
            "type": "text",
            "clinical": False,
            "validation": {"pattern": pattern},
            **extra,
        },
    )


def test_patterns_are_compiled_by_re2(db):
    assert type(compile_pattern(EVIL)).__module__.split(".")[0] == "re2"


def test_a_catastrophic_pattern_refuses_a_long_non_matching_value(api, owner):
    client = api(owner)
    assert define_code_field(client, EVIL).status_code == 201
    # With a backtracking engine this value takes exponential time; RE2 answers at once.
    response = client.post("clients", {"name": "Ana", "fields": {"code": "a" * 499 + "b"}})
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["fields"][0]["path"] == "fields.code"


def test_a_catastrophic_pattern_accepts_a_long_matching_value(api, owner):
    client = api(owner)
    assert define_code_field(client, EVIL).status_code == 201
    response = client.post("clients", {"name": "Ana", "fields": {"code": "a" * 500}})
    assert response.status_code == 201, response.json()
    assert response.json()["fields"]["code"] == "a" * 500


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?P<x>a)(?P=x)", r"(?=a)a", r"a(?!b)", r"(?<=a)b"])
def test_backreferences_and_lookarounds_are_refused_at_definition_time(api, owner, pattern):
    response = define_code_field(api(owner), pattern)
    assert response.status_code == 422
    (error,) = response.json()["error"]["fields"]
    assert error["path"] == "validation.pattern"
    assert "back-references" in error["message"]
    assert not FieldDefinition.objects.filter(key="code").exists()


def test_a_nested_backreference_names_its_path(api, owner):
    response = api(owner).post(
        "fields",
        {
            "scope": "client",
            "key": "contacts",
            "label": "Contacts",
            "type": "array",
            "fields": [{"key": "code", "label": "Code", "type": "text", "validation": {"pattern": r"(a)\1"}}],
        },
    )
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["error"]["fields"]] == ["fields[0].validation.pattern"]


def test_the_settings_page_refuses_a_backreference_at_the_pattern_field(page_client, owner):
    response = page_client(owner).post(
        "/w/serena/settings/fields/client/new/",
        {"key": "code", "label": "Code", "type": "text", "pattern": r"(a)\1"},
    )
    assert response.status_code == 200
    assert "back-references" in " ".join(response.context["form"].errors["pattern"])
    assert not FieldDefinition.objects.filter(key="code").exists()


def test_a_stored_pattern_re2_cannot_compile_fails_closed(api, owner):
    # Saved before patterns had to compile in RE2 (straight into the table, as old data would be).
    FieldDefinition.objects.create(
        workspace=owner.workspace,
        scope="client",
        key="code",
        label="Code",
        type="text",
        clinical=False,
        validation={"pattern": r"(a)\1"},
    )
    response = api(owner).post("clients", {"name": "Ana", "fields": {"code": "aa"}})
    assert response.status_code == 422
    (error,) = response.json()["error"]["fields"]
    assert error["path"] == "fields.code"
    assert "cannot be checked" in error["message"]


def test_a_word_class_matches_portuguese_letters(api, owner):
    client = api(owner)
    assert define_code_field(client, r"\w+( \w+)*").status_code == 201
    response = client.post("clients", {"name": "Ana", "fields": {"code": "João Conceição"}})
    assert response.status_code == 201, response.json()
    assert client.post("clients", {"name": "Bia", "fields": {"code": "João!"}}).status_code == 422
