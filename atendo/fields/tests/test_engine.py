"""The validation engine: every type, nested paths, unknown / archived keys, references."""

from __future__ import annotations

import pytest

from atendo.core.errors import ValidationFailed
from atendo.fields.engine import (
    clinical_keys,
    definitions_for,
    filterable_definitions,
    json_schema,
    validate_values,
)
from atendo.fields.models import FieldDefinition

pytestmark = pytest.mark.django_db


def define(workspace, key, type, scope="session", phase="pre", **extra):
    return FieldDefinition.objects.create(
        workspace=workspace,
        scope=scope,
        phase=phase if scope == "session" else "",
        key=key,
        label=extra.pop("label", key.replace("_", " ").capitalize()),
        type=type,
        **extra,
    )


def errors_of(excinfo):
    return {f.path: f.message for f in excinfo.value.fields}


def check(workspace, values, phase="pre", **kw):
    return validate_values(
        workspace=workspace, scope="session", phase=phase, path=f"fields.{phase}", values=values, **kw
    )


def test_scalar_types_are_cleaned(workspace):
    define(workspace, "title", "text", validation={"max_length": 10})
    define(workspace, "story", "textarea")
    define(workspace, "weight", "number", validation={"min": 0, "max": 300, "step": 0.5})
    define(workspace, "fasting", "boolean")
    define(workspace, "since", "date", validation={"min_date": "2000-01-01"})
    define(workspace, "at", "datetime")
    define(
        workspace,
        "mood",
        "select",
        options=[{"value": "good", "label": "Good"}, {"value": "bad", "label": "Bad"}],
    )
    define(
        workspace,
        "tags",
        "multi_select",
        options=[{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
    )
    cleaned = check(
        workspace,
        {
            "title": "  Hello ",
            "story": "line\r\nline",
            "weight": 72.5,
            "fasting": False,
            "since": "2020-02-29",
            "at": "2026-03-01T14:30",
            "mood": "good",
            "tags": ["b", "a"],
        },
    )
    assert cleaned == {
        "title": "Hello",
        "story": "line\nline",
        "weight": 72.5,
        "fasting": False,
        "since": "2020-02-29",
        "at": "2026-03-01T14:30-03:00",
        "mood": "good",
        "tags": ["b", "a"],
    }


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("title", 5, "must be text"),
        ("title", "x" * 11, "at most 10 characters"),
        ("weight", "72", "must be a number"),
        ("weight", True, "must be a number"),
        ("weight", 301, "at most 300"),
        ("weight", 72.3, "multiple of 0.5"),
        ("fasting", "yes", "true or false"),
        ("since", "2020-02-30", "YYYY-MM-DD"),
        ("since", "1999-12-31", "on or after 2000-01-01"),
        ("at", "tomorrow", "ISO 8601"),
        ("mood", "meh", "has no option"),
        ("tags", ["a", "a"], "chosen twice"),
        ("tags", "a", "list of options"),
    ],
)
def test_bad_scalar_values_name_the_path(workspace, key, value, fragment):
    define(workspace, "title", "text", validation={"max_length": 10})
    define(workspace, "weight", "number", validation={"min": 0, "max": 300, "step": 0.5})
    define(workspace, "fasting", "boolean")
    define(workspace, "since", "date", validation={"min_date": "2000-01-01"})
    define(workspace, "at", "datetime")
    define(workspace, "mood", "select", options=[{"value": "good", "label": "Good"}])
    define(workspace, "tags", "multi_select", options=[{"value": "a", "label": "A"}])
    with pytest.raises(ValidationFailed) as excinfo:
        check(workspace, {key: value})
    errors = errors_of(excinfo)
    assert any(path.startswith(f"fields.pre.{key}") for path in errors), errors
    assert fragment in " ".join(errors.values())
    assert excinfo.value.status == 422


def test_unknown_keys_are_refused(workspace):
    define(workspace, "mood", "text")
    with pytest.raises(ValidationFailed) as excinfo:
        check(workspace, {"mood": "ok", "colour": "red"})
    assert "fields.pre.colour" in errors_of(excinfo)


def test_keys_of_another_phase_are_unknown_in_this_one(workspace):
    define(workspace, "outcome", "text", phase="post")
    with pytest.raises(ValidationFailed) as excinfo:
        check(workspace, {"outcome": "ok"})
    assert "fields.pre.outcome" in errors_of(excinfo)
    assert check(workspace, {"outcome": "ok"}, phase="post") == {"outcome": "ok"}


def test_required_is_enforced_only_for_a_whole_save(workspace):
    define(workspace, "reason", "text", required=True)
    define(workspace, "note", "text")
    with pytest.raises(ValidationFailed) as excinfo:
        check(workspace, {"note": "x"})
    assert errors_of(excinfo) == {"fields.pre.reason": "Reason is required."}
    assert check(workspace, {"note": "x"}, require_all=False) == {"note": "x"}
    with pytest.raises(ValidationFailed):
        check(workspace, {"reason": ""}, require_all=False)
    assert check(workspace, {"note": None}, require_all=False) == {"note": None}
    assert check(workspace, {"reason": "r", "note": ""}) == {"reason": "r"}


def test_archived_key_is_refused_in_new_values_and_kept_from_previous(workspace):
    define(workspace, "old", "text", archived=True)
    define(workspace, "new", "text")
    with pytest.raises(ValidationFailed) as excinfo:
        check(workspace, {"old": "x"})
    assert "archived" in errors_of(excinfo)["fields.pre.old"]
    cleaned = check(workspace, {"new": "y", "old": "kept"}, previous={"old": "kept", "new": "x"})
    assert cleaned == {"new": "y", "old": "kept"}
    assert check(workspace, {"new": "z"}, previous={"old": "kept"}) == {"new": "z", "old": "kept"}


def test_retired_option_stays_valid_only_for_a_stored_value(workspace):
    define(
        workspace,
        "mood",
        "select",
        options=[{"value": "good", "label": "Good"}, {"value": "meh", "label": "Meh", "retired": True}],
    )
    with pytest.raises(ValidationFailed) as excinfo:
        check(workspace, {"mood": "meh"})
    assert "no longer offers" in errors_of(excinfo)["fields.pre.mood"]
    assert check(workspace, {"mood": "meh"}, previous={"mood": "meh"}) == {"mood": "meh"}


def test_nested_value_three_levels_deep_names_the_wrong_date(workspace):
    define(
        workspace,
        "follow_up",
        "array",
        phase="post",
        children=[
            {"key": "date", "label": "Date", "type": "date", "required": True},
            {
                "key": "kind",
                "label": "Kind",
                "type": "select",
                "options": [{"value": "call", "label": "Call"}, {"value": "visit", "label": "Visit"}],
            },
            {
                "key": "steps",
                "label": "Steps",
                "type": "array",
                "fields": [
                    {
                        "key": "detail",
                        "label": "Detail",
                        "type": "object",
                        "fields": [
                            {"key": "due", "label": "Due", "type": "date"},
                        ],
                    },
                ],
            },
        ],
    )
    good = {
        "follow_up": [
            {"date": "2026-01-01", "kind": "call"},
            {"date": "2026-01-02", "steps": [{"detail": {"due": "2026-02-01"}}]},
        ]
    }
    assert check(workspace, good, phase="post") == good
    bad = {
        "follow_up": [
            {"date": "2026-01-01"},
            {
                "date": "2026-01-02",
                "steps": [{"detail": {"due": "2026-02-01"}}, {"detail": {"due": "2026-13-01"}}],
            },
            {"date": "2026-01-03", "kind": "fax"},
            {"kind": "call"},
        ]
    }
    with pytest.raises(ValidationFailed) as excinfo:
        check(workspace, bad, phase="post")
    assert set(errors_of(excinfo)) == {
        "fields.post.follow_up[1].steps[1].detail.due",
        "fields.post.follow_up[2].kind",
        "fields.post.follow_up[3].date",
    }


def test_team_member_must_be_an_active_member_of_this_workspace(workspace, owner, therapist, outsider):
    define(workspace, "referred_by", "team_member")
    assert check(workspace, {"referred_by": therapist.pk}) == {"referred_by": therapist.pk}
    with pytest.raises(ValidationFailed) as excinfo:
        check(workspace, {"referred_by": outsider.pk})
    assert "must be an active member" in errors_of(excinfo)["fields.pre.referred_by"]
    therapist.is_active = False
    therapist.save()
    with pytest.raises(ValidationFailed):
        check(workspace, {"referred_by": therapist.pk})


def test_member_checks_take_one_query_however_many(workspace, owner, therapist, django_assert_num_queries):
    define(workspace, "team", "array", children=[{"key": "who", "label": "Who", "type": "team_member"}])
    definitions = definitions_for(workspace=workspace, scope="session", phase="pre", include_archived=True)
    values = {"team": [{"who": owner.pk}, {"who": therapist.pk}] * 10}
    with django_assert_num_queries(1):
        check(workspace, values, definitions=definitions)


def test_values_must_be_an_object(workspace):
    with pytest.raises(ValidationFailed) as excinfo:
        check(workspace, ["nope"])
    assert errors_of(excinfo) == {"fields.pre": "Field values must be an object keyed by field key."}


def test_helpers(workspace):
    define(workspace, "mood", "select", filterable=True, options=[{"value": "a", "label": "A"}])
    define(workspace, "notes", "textarea", clinical=True)
    define(workspace, "room", "text", clinical=False, filterable=True)
    define(workspace, "gone", "text", archived=True, filterable=True)
    defs = definitions_for(workspace=workspace, scope="session")
    assert [d.key for d in defs] == ["mood", "notes", "room"]
    assert clinical_keys(defs) == {"mood", "notes"}
    assert set(filterable_definitions(workspace=workspace, scope="session")) == {"mood", "room"}
    schema = json_schema(workspace=workspace, scope="session", phase="pre")
    assert schema["properties"]["mood"]["enum"] == ["a"]
    assert schema["additionalProperties"] is False
