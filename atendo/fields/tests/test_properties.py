"""Property-based tests of the validation engine (hypothesis).

Random definition trees (every type, arrays and objects nested) with values generated to fit them
always validate; the same values with one leaf replaced by a wrong value always fail, naming
exactly that leaf's path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atendo.core.errors import ValidationFailed
from atendo.fields.engine import validate_values
from atendo.fields.models import FieldDefinition
from atendo.files.models import Attachment

pytestmark = pytest.mark.django_db

SCALARS = [
    "text",
    "textarea",
    "number",
    "boolean",
    "date",
    "datetime",
    "select",
    "multi_select",
    "image",
    "file",
    "signature",
    "team_member",
]
OPTIONS = [{"value": v, "label": v.upper()} for v in ("a", "b", "c")]
KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)


@st.composite
def spec_trees(draw: Any, depth: int = 0) -> dict[str, Any]:
    types = SCALARS + (["array", "object"] if depth < 2 else [])
    type_ = draw(st.sampled_from(types))
    spec: dict[str, Any] = {"key": "", "label": "L", "type": type_, "required": draw(st.booleans())}
    if type_ in ("select", "multi_select"):
        spec["options"] = OPTIONS
    if type_ == "number":
        spec["validation"] = {"min": -50, "max": 50}
    if type_ in ("array", "object"):
        keys = draw(st.lists(KEYS, min_size=1, max_size=3, unique=True))
        children = [draw(spec_trees(depth + 1)) for _ in keys]
        for key, child in zip(keys, children, strict=True):
            child["key"] = key
        spec["fields"] = children
    return spec


def value_for(draw: Any, spec: dict[str, Any], refs: dict[str, int]) -> Any:
    t = spec["type"]
    if t == "text":
        return draw(st.from_regex(r"[A-Za-z][A-Za-z ]{0,10}[A-Za-z]", fullmatch=True))
    if t == "textarea":
        return draw(st.text(alphabet="abc \n", min_size=1, max_size=20).filter(lambda s: s.strip()))
    if t == "number":
        return draw(st.one_of(st.integers(-50, 50), st.floats(-50, 50, allow_nan=False)))
    if t == "boolean":
        return draw(st.booleans())
    if t == "date":
        return draw(st.dates(dt.date(1990, 1, 1), dt.date(2040, 1, 1))).isoformat()
    if t == "datetime":
        moment = draw(st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2040, 1, 1)))
        return moment.replace(microsecond=0, tzinfo=dt.UTC).isoformat()
    if t == "select":
        return draw(st.sampled_from(["a", "b", "c"]))
    if t == "multi_select":
        return draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, unique=True))
    if t in ("image", "file", "signature", "team_member"):
        return refs[t]
    if t == "object":
        return {c["key"]: value_for(draw, c, refs) for c in spec["fields"]}
    rows = draw(st.integers(1, 3))
    return [{c["key"]: value_for(draw, c, refs) for c in spec["fields"]} for _ in range(rows)]


WRONG = {
    "text": 12,
    "textarea": ["x"],
    "number": "twelve",
    "boolean": "yes",
    "date": "2021-02-30",
    "datetime": "yesterday",
    "select": "zebra",
    "multi_select": "a",
    "image": 987654321,
    "file": 987654321,
    "signature": 987654321,
    "team_member": 987654321,
    "object": "flat",
    "array": {"not": "a list"},
}


def leaves(spec: dict[str, Any], value: Any, path: str) -> list[tuple[str, list[Any], str]]:
    """(path, location in the value, type) of every value in the tree, nested ones included."""
    found = [(path, [], spec["type"])]
    if spec["type"] == "object":
        for child in spec["fields"]:
            for p, loc, t in leaves(child, value[child["key"]], f"{path}.{child['key']}"):
                found.append((p, [child["key"], *loc], t))
    elif spec["type"] == "array":
        for index, row in enumerate(value):
            for child in spec["fields"]:
                for p, loc, t in leaves(child, row[child["key"]], f"{path}[{index}].{child['key']}"):
                    found.append((p, [index, child["key"], *loc], t))
    return found


def replace(value: Any, location: list[Any], new: Any) -> Any:
    if not location:
        return new
    head, *rest = location
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[head] = replace(value[head], rest, new)
    return copy


@st.composite
def cases(draw: Any) -> tuple[list[dict[str, Any]], Any]:
    keys = draw(st.lists(KEYS, min_size=1, max_size=4, unique=True))
    specs = []
    for key in keys:
        spec = draw(spec_trees())
        spec["key"] = key
        specs.append(spec)
    return specs, draw


@pytest.fixture
def refs(owner) -> dict[str, int]:
    made = {}
    for kind, content_type in (
        ("image", "image/png"),
        ("file", "application/pdf"),
        ("signature", "image/png"),
    ):
        made[kind] = Attachment.objects.create(
            workspace=owner.workspace,
            kind=kind,
            original_name=f"{kind}.bin",
            content_type=content_type,
            size=10,
            storage_name=f"test/{kind}",
        ).pk
    made["team_member"] = owner.pk
    return made


def as_definitions(workspace: Any, specs: list[dict[str, Any]]) -> list[FieldDefinition]:
    return [
        FieldDefinition(
            workspace=workspace,
            scope="client",
            key=s["key"],
            label=s["label"],
            type=s["type"],
            required=s["required"],
            options=s.get("options", []),
            validation=s.get("validation", {}),
            children=s.get("fields", []),
        )
        for s in specs
    ]


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(data=st.data(), generated=cases())
def test_valid_values_of_every_type_pass(owner, refs, data, generated):
    specs, _draw = generated
    values = {s["key"]: value_for(data.draw, s, refs) for s in specs}
    cleaned = validate_values(
        workspace=owner.workspace,
        scope="client",
        path="fields",
        values=values,
        definitions=as_definitions(owner.workspace, specs),
    )
    assert set(cleaned) == set(values)


@SETTINGS
@given(data=st.data(), generated=cases())
def test_one_wrong_leaf_fails_with_its_path(owner, refs, data, generated):
    specs, _draw = generated
    values = {s["key"]: value_for(data.draw, s, refs) for s in specs}
    candidates = [
        (path, [s["key"], *loc], t)
        for s in specs
        for path, loc, t in leaves(s, values[s["key"]], f"fields.{s['key']}")
    ]
    path, location, type_ = data.draw(st.sampled_from(candidates))
    broken = replace(values, location, WRONG[type_])
    with pytest.raises(ValidationFailed) as excinfo:
        validate_values(
            workspace=owner.workspace,
            scope="client",
            path="fields",
            values=broken,
            definitions=as_definitions(owner.workspace, specs),
        )
    assert [f.path for f in excinfo.value.fields] == [path]
    assert all(f.message and f.message[0].isupper() for f in excinfo.value.fields)


@SETTINGS
@given(data=st.data(), generated=cases(), extra=KEYS)
def test_unknown_keys_anywhere_at_the_top_are_refused(owner, refs, data, generated, extra):
    specs, _draw = generated
    values = {s["key"]: value_for(data.draw, s, refs) for s in specs}
    if extra in values:
        return
    values[extra] = "surprise"
    with pytest.raises(ValidationFailed) as excinfo:
        validate_values(
            workspace=owner.workspace,
            scope="client",
            path="fields",
            values=values,
            definitions=as_definitions(owner.workspace, specs),
        )
    assert [f.path for f in excinfo.value.fields] == [f"fields.{extra}"]
