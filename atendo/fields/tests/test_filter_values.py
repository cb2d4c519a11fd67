"""`coerce_filter_value`: the one parser of `field.<key>=<value>` filters (sessions and clients)."""

from __future__ import annotations

import pytest

from atendo.core.errors import ValidationFailed
from atendo.fields.engine import coerce_filter_value
from atendo.fields.models import FieldDefinition


def definition(type_: str) -> FieldDefinition:
    return FieldDefinition(key="k", label="K", type=type_)


def test_numbers_compare_as_stored():
    assert coerce_filter_value(definition("number"), "7", "field.k") == 7
    assert coerce_filter_value(definition("number"), "7.5", "field.k") == 7.5
    # Beyond 2**53 a whole number stays a float, so no driver overflows on a 64-bit column.
    assert isinstance(coerce_filter_value(definition("number"), "1e30", "field.k"), float)


@pytest.mark.parametrize("raw", ["nan", "inf", "seven"])
def test_not_a_number_is_refused_at_its_path(raw):
    with pytest.raises(ValidationFailed) as caught:
        coerce_filter_value(definition("number"), raw, "field.k")
    assert caught.value.fields[0].path == "field.k"


@pytest.mark.parametrize("raw", ["0", "abc", str(2**63)])
def test_member_ids_outside_the_id_range_are_refused(raw):
    with pytest.raises(ValidationFailed):
        coerce_filter_value(definition("team_member"), raw, "field.k")


def test_booleans_dates_and_text():
    assert coerce_filter_value(definition("boolean"), "yes", "field.k") is True
    assert coerce_filter_value(definition("date"), "2026-03-14", "field.k") == "2026-03-14"
    with pytest.raises(ValidationFailed):
        coerce_filter_value(definition("date"), "2026-02-30", "field.k")
    with pytest.raises(ValidationFailed):
        coerce_filter_value(definition("text"), "a\x00b", "field.k")
