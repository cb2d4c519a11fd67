"""The value-cleaning vocabulary: strict types, bounds, paths; and errors collected across fields."""

from __future__ import annotations

from decimal import Decimal

import pytest

from atendo.core.clean import (
    MAX_AMOUNT,
    MAX_ID,
    FieldErrors,
    clean_bool,
    clean_choice,
    clean_id,
    clean_ids,
    clean_int,
    clean_money,
    clean_optional_id,
    clean_text,
    id_or_none,
)
from atendo.core.errors import ValidationFailed


def _paths(fn) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        fn()
    return [f.path for f in info.value.fields]


def test_an_id_is_a_whole_number_in_range():
    assert clean_id(1, "client_id") == 1 and clean_id(MAX_ID, "client_id") == MAX_ID


@pytest.mark.parametrize("value", [0, -1, MAX_ID + 1, True, "12", 1.0, None, [1]])
def test_anything_else_is_not_an_id(value):
    assert _paths(lambda: clean_id(value, "client_id")) == ["client_id"]


def test_an_optional_id_may_be_null():
    assert clean_optional_id(None, "therapy_type_id") is None
    assert clean_optional_id(3, "therapy_type_id") == 3


def test_ids_name_each_bad_item_and_drop_repeats():
    assert clean_ids([3, 1, 3], "session_ids", max_items=5) == [3, 1]
    assert _paths(lambda: clean_ids([1, "x", 0], "session_ids", max_items=5)) == [
        "session_ids[1]",
        "session_ids[2]",
    ]
    assert _paths(lambda: clean_ids([1, 2, 3], "session_ids", max_items=2)) == ["session_ids"]
    assert _paths(lambda: clean_ids("1,2", "session_ids", max_items=2)) == ["session_ids"]


def test_an_id_from_text_is_an_id_or_none():
    assert id_or_none("42") == 42 and id_or_none(42) == 42
    for value in ("", "0", "-1", "4x", "99999999999999999999", "٤٢", None, True, str(MAX_ID + 1)):
        assert id_or_none(value) is None


def test_text_is_bounded_stripped_and_without_nul():
    assert clean_text("  Ana  ", "name", max_length=3) == "Ana"
    assert clean_text("  Ana  ", "notes", max_length=7, strip=False) == "  Ana  "
    assert clean_text(None, "notes", max_length=3) == ""
    assert _paths(lambda: clean_text(None, "title", max_length=3, blank_if_none=False)) == ["title"]
    assert _paths(lambda: clean_text("Anaa", "name", max_length=3)) == ["name"]
    assert _paths(lambda: clean_text("A\x00", "name", max_length=3)) == ["name"]
    assert _paths(lambda: clean_text(5, "name", max_length=3)) == ["name"]
    assert _paths(lambda: clean_text("   ", "name", max_length=3, required=True)) == ["name"]


def test_a_boolean_is_true_or_false_only():
    assert clean_bool(False, "flag") is False
    for value in (0, 1, "true", None):
        assert _paths(lambda v=value: clean_bool(v, "flag")) == ["flag"]


def test_a_choice_is_one_of_the_choices():
    assert clean_choice("paid", "status", ["pending", "paid"]) == "paid"
    assert _paths(lambda: clean_choice("nope", "status", ["pending", "paid"])) == ["status"]
    assert _paths(lambda: clean_choice(["paid"], "status", ["pending", "paid"])) == ["status"]


def test_a_whole_number_is_bounded_and_a_whole_float_counts():
    assert clean_int(7.0, "days", minimum=0, maximum=7) == 7
    for value in (8, -1, 7.5, True, "7"):
        assert _paths(lambda v=value: clean_int(v, "days", minimum=0, maximum=7)) == ["days"]


def test_collected_errors_name_every_bad_field_in_one_answer():
    errors = FieldErrors()
    name = errors.check(clean_text, "Ana", "name", max_length=10)
    assert name == "Ana" and not errors
    assert errors.check(clean_id, "x", "client_id") is None
    assert errors.check(clean_bool, "x", "active") is None
    errors.add("date", "Give a date.")
    assert _paths(errors.raise_if_any) == ["client_id", "active", "date"]


def test_no_errors_raise_nothing():
    FieldErrors().raise_if_any()


def test_money_is_exact_non_negative_and_two_decimals_at_most():
    assert clean_money("150", "amount") == Decimal("150.00")
    assert clean_money(0.1, "amount") == Decimal("0.10")
    assert clean_money(None, "amount") is None
    for value in ("-1", "1.005", "abc", "NaN", True, str(MAX_AMOUNT + 1)):
        assert _paths(lambda v=value: clean_money(v, "payment.amount")) == ["payment.amount"]
    assert _paths(lambda: clean_money("", "amount", required=True)) == ["amount"]
