"""The day by practitioner (one column each, drawn by the server) and whose schedule the calendar
opens on."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ClientFactory, StoredSessionFactory, TherapyTypeFactory

pytestmark = pytest.mark.django_db
TEAM = "/w/serena/sessions/team/"
DAY = dt.date(2027, 3, 10)
NOTE = "CANARY-TEAM-NOTE"


@pytest.fixture
def day(workspace, owner, therapist, other_therapist):
    tz = workspace.tz
    reiki = TherapyTypeFactory(workspace=workspace, name="Sessão de Reiki", color="#2f9e8f")
    ana = ClientFactory(workspace=workspace, name="Ana Cliente", practitioners=[therapist])
    bia = ClientFactory(workspace=workspace, name="Bia Cliente", practitioners=[other_therapist])

    def book(client, who, hour, **extra):
        return StoredSessionFactory(
            client=client,
            workspace=workspace,
            practitioner=who,
            therapy_type=reiki,
            starts_at=dt.datetime.combine(DAY, dt.time(hour), tzinfo=tz),
            created_by=owner,
            **extra,
        )

    return {"ana": book(ana, therapist, 9, notes=NOTE), "bia": book(bia, other_therapist, 14), "book": book}


def _columns(html):
    return re.findall(r'<ol class="team-col"[^>]*data-practitioner-id="(\d+)"', html)


def test_one_column_per_practitioner_the_client_leading(page_client, owner, therapist, other_therapist, day):
    html = page_client(owner).get(TEAM, {"date": DAY.isoformat()}).content.decode()
    columns = _columns(html)
    assert str(therapist.pk) in columns and str(other_therapist.pk) in columns
    ana = html[html.index(f'data-session-id="{day["ana"].pk}"') :]
    assert ana.index("Ana Cliente") < ana.index("Sessão de Reiki")
    assert "09:00–10:00" in ana
    # WCAG AA: black on the teal, not white (3.27:1).
    assert "color: #000000" in html.split(f'data-session-id="{day["ana"].pk}"')[1].split(">")[0]
    # Ana's column holds Ana, Bia's holds Bia.
    therapist_col = html.split('<ol class="team-col" style')[1 + columns.index(str(therapist.pk))]
    assert (
        "Ana Cliente" in therapist_col.split("</ol>")[0]
        and "Bia Cliente" not in therapist_col.split("</ol>")[0]
    )


def test_choosing_one_practitioner_and_another_day(page_client, owner, other_therapist, day):
    html = (
        page_client(owner)
        .get(TEAM, {"date": DAY.isoformat(), "practitioner": other_therapist.pk})
        .content.decode()
    )
    assert _columns(html) == [str(other_therapist.pk)]
    assert "Bia Cliente" in html and "Ana Cliente" not in html
    empty = page_client(owner).get(TEAM, {"date": "2027-03-11"}).content.decode()
    assert "Ana Cliente" not in empty and "No sessions" in empty


def test_no_clinical_content_and_access(page_client, assistant, other_therapist, outsider, day):
    for member in (assistant, other_therapist):
        html = page_client(member).get(TEAM, {"date": DAY.isoformat()}).content.decode()
        assert "Ana Cliente" in html and NOTE not in html
    assert page_client(outsider).get(TEAM).status_code == 404


def test_a_bad_date_falls_back_to_today(page_client, owner, day):
    assert page_client(owner).get(TEAM, {"date": "10/03/2027", "practitioner": "x"}).status_code == 200


def test_the_day_costs_a_constant_number_of_queries(page_client, owner, therapist, day):
    client = page_client(owner)

    def count():
        with CaptureQueriesContext(connection) as queries:
            client.get(TEAM, {"date": DAY.isoformat()})
        return len(queries)

    count()
    before = count()
    for hour in range(10, 18):
        day["book"](day["ana"].client, therapist, hour)
    assert count() == before


def _config(html):
    return json.loads(
        re.search(r'id="calendar-config" type="application/json">(.*?)</script>', html).group(1)
    )


def _filter(html):
    """The calendar's practitioner filter."""
    return html.split('id="f-practitioner"')[1].split("</select>")[0]


def test_the_calendar_opens_on_the_practitioner_s_own_schedule(page_client, owner, therapist, assistant, day):
    html = page_client(therapist).get("/w/serena/sessions/").content.decode()
    assert f'<option value="{therapist.pk}" selected>' in _filter(html)
    assert _config(html)["bare"] is True and _config(html)["store_key"] == f"serena.{therapist.pk}"
    # A chosen view or filter in the URL wins; the owner and the assistant open on everyone's.
    assert f'<option value="{therapist.pk}" selected>' not in _filter(
        page_client(therapist).get("/w/serena/sessions/", {"view": "agenda"}).content.decode()
    )
    for member in (owner, assistant):
        assert f'<option value="{therapist.pk}" selected>' not in _filter(
            page_client(member).get("/w/serena/sessions/").content.decode()
        )
    assert (
        _config(page_client(owner).get("/w/serena/sessions/", {"view": "agenda"}).content.decode())[
            "initial_view"
        ]
        == "agenda"
    )
