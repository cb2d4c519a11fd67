"""One format per language for what a person reads; ISO for what a machine (or an input) reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.template import Context, Template
from django.utils import timezone, translation

from atendo.core.formats import (
    format_date,
    format_datetime,
    format_money,
    format_number,
    format_time,
)

DEC_1 = dt.date(2026, 12, 1)
SP = ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        (Decimal("2200"), "BRL", "pt-br", "R$ 2.200,00"),
        (Decimal("1234"), "USD", "pt-br", "US$ 1.234,00"),
        (Decimal("1234"), "USD", "en", "$1,234.00"),
        (Decimal("2200"), "BRL", "en", "R$ 2,200.00"),
        (Decimal("9.5"), "EUR", "en", "€9.50"),
        (Decimal("1234567.891"), "BRL", "pt-br", "R$ 1.234.567,89"),
        (Decimal("-10"), "BRL", "pt-br", "-R$ 10,00"),
        (Decimal("0"), "BRL", "pt-br", "R$ 0,00"),
        ("150.00", "chf", "en", "CHF 150.00"),
        (Decimal("1500"), "JPY", "en", "JPY 1,500"),
    ],
)
def test_money_per_locale(amount, currency, language, expected):
    assert format_money(amount, currency, language) == expected


def test_money_follows_the_active_language_and_skips_a_missing_amount():
    with translation.override("pt-br"):
        assert format_money(Decimal("50"), "BRL") == "R$ 50,00"
    with translation.override("en"):
        assert format_money(Decimal("50"), "USD") == "$50.00"
    assert format_money(None, "BRL") == ""


def test_numbers_use_the_languages_separators():
    assert format_number(Decimal("2200.5"), 1, "pt-br") == "2.200,5"
    assert format_number(2200.5, 1, "en") == "2,200.5"
    assert format_number(12, 0, "pt-br") == "12"


@pytest.mark.parametrize(
    ("style", "pt", "en"),
    [
        ("short", "01/12/2026", "Dec 1, 2026"),
        ("long", "1 de dezembro de 2026", "December 1, 2026"),
        ("weekday", "ter., 01/12/2026", "Tue, Dec 1, 2026"),
        ("weekday_long", "terça-feira, 1 de dezembro de 2026", "Tuesday, December 1, 2026"),
        ("month", "dezembro de 2026", "December 2026"),
    ],
)
def test_one_date_format_per_language(style, pt, en):
    assert format_date(DEC_1, style, language="pt-br") == pt
    assert format_date(DEC_1, style, language="en") == en


def test_a_12_april_birthday_reads_as_12_april():
    assert format_date(dt.date(1990, 4, 12), language="pt-br") == "12/04/1990"
    assert format_date(dt.date(1990, 4, 12), language="en") == "Apr 12, 1990"


def test_an_aware_moment_is_read_in_the_given_zone():
    moment = dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC)  # 23:30 of 30 November in São Paulo
    assert format_date(moment, language="pt-br", tz=SP) == "30/11/2026"
    assert format_time(moment, tz=SP) == "23:30"
    assert format_datetime(moment, language="pt-br", tz=SP) == "30/11/2026 23:30"
    assert format_datetime(moment, language="en", tz=SP) == "Nov 30, 2026, 23:30"


def test_template_filters():
    template = Template(
        "{% load formats %}{{ amount|money:'BRL' }}|{{ d|day }}|{{ d|day:'weekday_long' }}|"
        "{{ m|hhmm }}|{{ m|moment }}|{{ n|number:2 }}"
    )
    moment = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)
    context = Context({"amount": Decimal("2200"), "d": DEC_1, "m": moment, "n": Decimal("3.5")})
    with translation.override("pt-br"), timezone.override(SP):
        assert template.render(context) == (
            "R$ 2.200,00|01/12/2026|terça-feira, 1 de dezembro de 2026|14:00|01/12/2026 14:00|3,50"
        )


class _Dated(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))


@pytest.mark.parametrize("language", ["pt-br", "en"])
def test_date_inputs_carry_iso_in_every_language(language):
    """Django renders a date widget with the first input format: ours is ISO in every language, so
    `<input type="date">` is never handed 01/12/2026 (which the browser blanks)."""
    with translation.override(language):
        form = _Dated(initial={"day": DEC_1, "at": dt.datetime(2026, 12, 1, 9, 5), "start": dt.time(9, 5)})
        html = str(form)
        assert 'value="2026-12-01"' in html
        assert 'value="2026-12-01T09:05"' in html
        assert 'value="09:05"' in html
        bound = _Dated(data={"day": "2026-12-01", "at": "2026-12-01T09:05", "start": "09:05"})
        assert bound.is_valid(), bound.errors
        assert bound.cleaned_data["day"] == DEC_1
