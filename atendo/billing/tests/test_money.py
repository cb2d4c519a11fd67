"""Exact amounts: any non-negative amount with at most two decimals is kept exactly; the rest refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atendo.core.clean import MAX_AMOUNT, clean_money
from atendo.core.errors import ValidationFailed

cents = st.integers(min_value=0, max_value=int(MAX_AMOUNT * 100))


@given(cents)
def test_two_decimal_amounts_round_trip_exactly(value):
    amount = Decimal(value) / 100
    assert clean_money(str(amount), "amount") == amount
    assert clean_money(f"{amount:.2f}", "amount") == amount


@given(st.integers(min_value=1, max_value=10**12))
def test_negative_amounts_are_refused(value):
    with pytest.raises(ValidationFailed) as exc:
        clean_money(str(-Decimal(value) / 100), "payment.amount")
    assert exc.value.fields[0].path == "payment.amount"


@given(st.text(max_size=12))
def test_anything_else_is_refused_or_exact(text):
    try:
        result = clean_money(text, "amount")
    except ValidationFailed as exc:
        assert exc.fields[0].path == "amount"
    else:
        assert result is None or (result >= 0 and result == result.quantize(Decimal("0.01")))
