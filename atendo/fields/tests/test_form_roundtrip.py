"""Property: whatever the definitions (every type, nested), the rendered form submitted as a
browser would submit it parses back to the same values — in English and in Portuguese."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from typing import Any

import pytest
from django.http import QueryDict
from django.template import Context, Template
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from hypothesis import assume, given
from hypothesis import strategies as st

from atendo.fields.engine import validate_values
from atendo.fields.forms import FieldValuesForm, _blank
from atendo.fields.tests.test_properties import SETTINGS, as_definitions, cases, refs, value_for  # noqa: F401

pytestmark = pytest.mark.django_db


class Submission(HTMLParser):
    """The name/value pairs a browser would post for a rendered form (template rows excluded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data = QueryDict(mutable=True)
        self.in_template = 0
        self.textarea: str | None = None
        self.text = ""
        self.select: str | None = None
        self.select_value: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        if tag == "input" and a.get("name") and a.get("type") != "file":
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.data.appendlist(a["name"], a.get("value", ""))
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), ""
        elif tag == "select":
            self.select, self.select_value, self.first_option = a.get("name"), None, None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value", "")
            if "selected" in a:
                self.select_value = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self.in_template -= 1
        if self.in_template:
            return
        if tag == "textarea" and self.textarea:
            text = self.text[1:] if self.text.startswith("\n") else self.text  # as browsers do
            self.data.appendlist(self.textarea, text)
            self.textarea = None
        elif tag == "select" and self.select:
            chosen = self.select_value if self.select_value is not None else self.first_option
            self.data.appendlist(self.select, chosen or "")
            self.select = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None and not self.in_template:
            self.text += data


def normalized(value: Any) -> Any:
    """Lists of choices compare as sets (the form lists them in option order)."""
    if isinstance(value, dict):
        return {k: normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalized(v) for v in value]
        return sorted(items) if all(isinstance(v, str) for v in items) else items
    return value


def rows_only_false(value: Any) -> bool:
    """An array entry holding nothing but unticked boxes is a blank row to a form (dropped)."""
    if isinstance(value, list):
        return any((isinstance(row, dict) and _blank(row)) or rows_only_false(row) for row in value)
    if isinstance(value, dict):
        return any(rows_only_false(v) for v in value.values())
    return False


@SETTINGS
@given(data=st.data(), generated=cases(), language=st.sampled_from(["en", "pt-br"]))
def test_rendered_form_parses_back_to_the_same_values(owner, refs, data, generated, language):  # noqa: F811
    specs, _draw = generated
    values = {s["key"]: value_for(data.draw, s, refs) for s in specs}
    definitions = as_definitions(owner.workspace, specs)
    cleaned = validate_values(
        workspace=owner.workspace, scope="client", path="fields", values=values, definitions=definitions
    )
    assume(not rows_only_false(cleaned))
    assume(
        not any(isinstance(v, str) and v.endswith(":00") is False and "T" in v and len(v) > 22 for v in [])
    )
    with translation.override(language):
        form = FieldValuesForm(member=owner, definitions=definitions, prefix="fields", values=cleaned)
        html = Template("{% load fields %}{% render_fields form %}").render(Context({"form": form}))
    browser = Submission()
    browser.feed(html)
    parsed = FieldValuesForm(member=owner, definitions=definitions, prefix="fields").parse(
        browser.data, MultiValueDict()
    )
    again = validate_values(
        workspace=owner.workspace, scope="client", path="fields", values=parsed, definitions=definitions
    )
    assert normalized(again) == normalized(_minutes(cleaned))


def _minutes(value: Any) -> Any:
    """A datetime input has minute precision: compare datetimes to the minute."""
    if isinstance(value, dict):
        return {k: _minutes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_minutes(v) for v in value]
    if isinstance(value, str) and len(value) >= 22 and value[10:11] == "T" and value.count(":") >= 3:
        moment = dt.datetime.fromisoformat(value).replace(second=0)
        return moment.isoformat(timespec="minutes")
    return value
