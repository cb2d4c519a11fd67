"""What a person reads, as pages show it in Portuguese and English: one date style per language
(a client page's tabs agree; a 12 April birthday reads 12/04/1990 / Apr 12, 1990), money per
locale, date inputs in ISO; the therapy type's duration; the withheld phase; the overlap's names."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from atendo.clients.models import Client
from atendo.workspaces.models import Role
from atendo.workspaces.services import member_add
from tests.factories import FieldDefinitionFactory, PaymentFactory, SessionFactory, TherapyTypeFactory

pytestmark = pytest.mark.django_db

PT, EN = {"HTTP_ACCEPT_LANGUAGE": "pt-br"}, {"HTTP_ACCEPT_LANGUAGE": "en"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _get(client, url, language, **extra):
    response = client.get(url, **language, **extra)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _inputs(html, kind):
    """The `value` of every <input type=kind> in a page."""
    found = []
    for tag in re.findall(r"<input\b[^>]*>", html):
        if re.search(rf'type="{kind}"', tag):
            value = re.search(r'value="([^"]*)"', tag)
            found.append(value.group(1) if value else "")
    return found


@pytest.fixture
def mariana(owner):
    return Client.objects.create(
        workspace=owner.workspace, name="Mariana Souza", birth_date=dt.date(1990, 4, 12)
    )


@pytest.fixture
def december_session(owner, mariana):
    return SessionFactory(
        client=mariana, practitioner=owner, starts_at="2026-12-01T14:00", duration_minutes=50
    )


@pytest.mark.parametrize(
    ("language", "birthday", "session_day", "payment_day"),
    [
        (PT, "12/04/1990", "ter., 01/12/2026", "01/12/2026"),
        (EN, "Apr 12, 1990", "Tue, Dec 1, 2026", "Dec 1, 2026"),
    ],
)
def test_one_date_style_per_language_on_a_client_page(
    page_client, owner, mariana, december_session, language, birthday, session_day, payment_day
):
    PaymentFactory(session=december_session, amount=Decimal("2200"), due_date="2026-12-01")
    client = page_client(owner)
    detail = _get(client, f"/w/serena/clients/{mariana.pk}/", language)
    assert birthday in detail
    sessions_tab = _get(client, f"/w/serena/sessions/client/{mariana.pk}/", language, HTTP_HX_REQUEST="true")
    assert session_day in sessions_tab
    payments_tab = _get(client, f"/w/serena/clients/{mariana.pk}/payments/", language, HTTP_HX_REQUEST="true")
    assert payment_day in payments_tab


@pytest.mark.parametrize(("language", "money"), [(PT, "R$ 2.200,00"), (EN, "R$ 2,200.00")])
def test_money_per_locale_on_the_payments_tab(page_client, owner, mariana, december_session, language, money):
    PaymentFactory(session=december_session, amount=Decimal("2200"))
    html = _get(
        page_client(owner), f"/w/serena/clients/{mariana.pk}/payments/", language, HTTP_HX_REQUEST="true"
    )
    assert money in html and "BRL" not in html


@pytest.mark.parametrize("language", [PT, EN])
def test_the_session_page_reads_the_long_date(page_client, owner, december_session, language):
    html = _get(page_client(owner), f"/w/serena/sessions/{december_session.pk}/", language)
    expected = "terça-feira, 1 de dezembro de 2026" if language is PT else "Tuesday, December 1, 2026"
    assert f"{expected}, 14:00–14:50" in html


@pytest.mark.parametrize("language", [PT, EN])
def test_every_date_input_of_the_session_forms_carries_iso(page_client, owner, december_session, language):
    client = page_client(owner)
    edit = _get(client, f"/w/serena/sessions/{december_session.pk}/edit/", language)
    assert _inputs(edit, "date") == ["2026-12-01"]
    new = _get(client, "/w/serena/sessions/new/?date=2026-12-08&start_time=14:00", language)
    assert _inputs(new, "date")[0] == "2026-12-08"
    assert all(ISO_DATE.match(v) or v == "" for v in _inputs(new, "date"))
    # A page that saves only the name keeps the date (what the browser sends back is ISO).
    response = client.post(
        f"/w/serena/sessions/{december_session.pk}/edit/",
        {
            "name": "Psicoterapia – Mariana",
            "client": december_session.client_id,
            "practitioner": owner.pk,
            "therapy_type": "",
            "date": _inputs(edit, "date")[0],
            "start_time": "14:00",
            "duration_minutes": 50,
            "status": "scheduled",
            "notes": "",
            "admin_notes": "",
            "version": december_session.version,
        },
        **language,
    )
    assert response.status_code == 302
    december_session.refresh_from_db()
    assert december_session.name == "Psicoterapia – Mariana"
    assert december_session.starts_at.astimezone(owner.workspace.tz).date() == dt.date(2026, 12, 1)


@pytest.mark.parametrize("language", [PT, EN])
def test_the_field_engines_date_and_datetime_inputs_carry_iso(
    page_client, owner, workspace, mariana, language
):
    FieldDefinitionFactory(workspace=workspace, scope="session", phase="post", key="next_visit", type="date")
    FieldDefinitionFactory(
        workspace=workspace, scope="session", phase="post", key="called_at", type="datetime"
    )
    session = SessionFactory(
        client=mariana,
        practitioner=owner,
        starts_at="2026-12-01T14:00",
        post={"next_visit": "2026-12-15", "called_at": "2026-12-02T09:30"},
    )
    html = _get(page_client(owner), f"/w/serena/sessions/{session.pk}/?phase=post", language)
    assert "2026-12-15" in _inputs(html, "date")
    assert "2026-12-02T09:30" in _inputs(html, "datetime-local")


def test_choosing_a_therapy_type_knows_its_duration(page_client, owner, workspace, mariana):
    psico = TherapyTypeFactory(workspace=workspace, name="Psicoterapia", default_duration_minutes=50)
    client = page_client(owner)
    new = _get(client, "/w/serena/sessions/new/", PT)
    assert (
        f'<script id="therapy-defaults" type="application/json">{{"{psico.pk}": {{"duration": 50}}}}</script>'
        in new
    )
    assert "therapy_defaults.js" in new
    # Coming with a therapy type (e.g. from "book the next one") starts from its duration.
    prefilled = _get(client, f"/w/serena/sessions/new/?therapy_type={psico.pk}", PT)
    assert re.search(r'name="duration_minutes" value="50"', prefilled)
    calendar = _get(client, "/w/serena/sessions/", PT)
    assert 'id="therapy-defaults"' in calendar and "therapy_defaults.js" in calendar


def test_a_phase_whose_fields_are_withheld_says_so(page_client, owner, assistant, workspace, mariana):
    FieldDefinitionFactory(workspace=workspace, scope="session", phase="during", key="mood", type="text")
    session = SessionFactory(
        client=mariana, practitioner=owner, starts_at="2026-12-01T14:00", during={"mood": "calm"}
    )
    html = _get(page_client(assistant), f"/w/serena/sessions/{session.pk}/?phase=during", EN)
    panel = html.split('id="panel-during"')[1].split('id="panel-post"')[0]
    assert "1 field of this phase holds clinical content you may not read. 1 answer withheld." in panel
    assert "No fields are defined for this phase" not in panel and "calm" not in panel
    html_pt = _get(page_client(assistant), f"/w/serena/sessions/{session.pk}/?phase=during", PT)
    assert "No fields are defined" not in html_pt


def test_the_overlap_warning_names_what_this_member_may_know(
    api, owner, workspace, mariana, december_session
):
    Role.objects.create(workspace=workspace, name="Agenda", permissions=["session.read", "session.create"])
    member_add(
        workspace=workspace, actor=None, email="agenda@serena.test", role_name="Agenda", offers_sessions=True
    )
    agenda = (
        type(owner).objects.select_related("role", "user", "workspace").get(user__email="agenda@serena.test")
    )
    body = {
        "client_id": mariana.pk,
        "practitioner_id": owner.pk,
        "starts_at": "2026-12-01T14:30",
        "duration_minutes": 30,
    }
    owners = api(owner).post("sessions/check", body).json()["warnings"][-1]
    assert owners["details"][0]["client_name"] == "Mariana Souza"
    assert "Mariana Souza, 14:00–14:50" in owners["message"]
    # Without client.read: the time, the practitioner and the link, never the client's name.
    theirs = api(agenda).post("sessions/check", body).json()["warnings"][-1]
    assert theirs["details"][0]["client_name"] is None
    assert "Mariana" not in theirs["message"] and "a session, 14:00–14:50" in theirs["message"]
    assert theirs["details"][0]["url"] == f"/w/serena/sessions/{december_session.pk}/"
    assert "Sessão" not in str(theirs)  # never the session's name


def test_the_members_page_adds_with_the_least_privileged_role_and_toggles_offers_sessions(
    page_client, owner, assistant
):
    client = page_client(owner)
    html = _get(client, "/w/serena/settings/members/", EN)
    form = html.split('id="add-member"')[1]
    role = re.search(r'<option value="(\d+)" selected>([^<]+)</option>', form)
    assert role and role.group(2) == "Assistant"
    response = client.post(f"/w/serena/settings/members/{assistant.pk}/", {"offers_sessions": "1"})
    assert response.status_code == 302
    assistant.refresh_from_db()
    assert assistant.offers_sessions is True
