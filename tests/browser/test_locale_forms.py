"""In Portuguese, a session's forms keep their dates: <input type="date"> carries ISO, so editing only
the name saves without "Este campo é obrigatório" (desktop and phone widths); choosing a therapy type
fills its duration and suggests a name; "book the next one" lands a week later."""

from __future__ import annotations

import contextlib
import re

import pytest

from atendo.clients.models import Client
from atendo.scheduling.models import Session
from atendo.scheduling.services import session_create
from atendo.therapies.models import TherapyType

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def page(browser, live_server):
    """A Brazilian browser: pt-BR locale (Accept-Language, navigator.language) in São Paulo's zone.
    (Headless Chromium draws the native date control in its build's locale, mm/dd/yyyy, whatever
    the context; what the page sends and keeps is the ISO value, which the tests assert.)"""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=WIDTHS["desktop"],
        locale="pt-BR",
        timezone_id="America/Sao_Paulo",
    )
    context.set_default_timeout(25_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors
    yield pg
    with contextlib.suppress(Exception):  # as the shared `page` fixture: the last requests finish
        pg.wait_for_load_state("networkidle", timeout=5_000)
    context.close()


def _in_portuguese(page, login, member):
    """Log in through the (Portuguese) login form."""
    page.goto("/login/")
    assert page.locator("html").get_attribute("lang") == "pt-br"
    page.locator("input[name=username]").fill(member.user.email)
    page.locator("input[name=password]").fill("correct-horse-battery")
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_portuguese_edit_form_saves_without_touching_the_date(page, login, owner, workspace, shot, width):
    page.set_viewport_size(WIDTHS[width])
    client = Client.objects.create(workspace=workspace, name="Mariana Souza")
    session = session_create(
        member=owner,
        client_id=client.pk,
        name="Psicoterapia",
        starts_at="2026-12-01T14:00",
        duration_minutes=50,
    ).session
    before = session.starts_at
    _in_portuguese(page, login, owner)
    page.goto(f"/w/serena/sessions/{session.pk}/edit/")
    date = page.locator("input[name=date]")
    assert date.get_attribute("type") == "date"
    assert date.get_attribute("value") == "2026-12-01"
    assert date.input_value() == "2026-12-01"  # the browser kept it (a dd/mm/aaaa value is blanked)
    page.locator("input[name=name]").fill("Psicoterapia – Mariana")
    if width == "phone":
        shot(page, "session-edit-pt-br-phone")
    page.get_by_role("button", name="Salvar", exact=True).click()
    page.wait_for_url(re.compile(rf"/sessions/{session.pk}/$"))
    assert "Este campo é obrigatório" not in page.content()
    assert page.get_by_text("terça-feira, 1 de dezembro de 2026").count() >= 1
    saved = Session.objects.get(pk=session.pk)
    assert (saved.name, saved.starts_at, saved.duration_minutes) == ("Psicoterapia – Mariana", before, 50)
    assert page.js_errors == []


def test_a_new_session_in_portuguese_fills_the_therapy_duration_and_a_name(
    page, login, owner, workspace, shot
):
    TherapyType.objects.create(workspace=workspace, name="Psicoterapia", default_duration_minutes=50)
    Client.objects.create(workspace=workspace, name="Mariana Souza")
    _in_portuguese(page, login, owner)
    page.goto("/w/serena/sessions/new/?date=2026-12-01&start_time=14:00")
    assert page.locator("input[name=date]").input_value() == "2026-12-01"
    assert page.locator("input[name=duration_minutes]").input_value() == "60"
    page.locator("select[name=client]").select_option(label="Mariana Souza")
    page.locator("select[name=therapy_type]").select_option(label="Psicoterapia")
    assert page.locator("input[name=duration_minutes]").input_value() == "50"
    assert page.locator("input[name=name]").input_value() == "Psicoterapia – Mariana"
    shot(page, "session-form-pt-br")
    page.get_by_role("button", name="Criar sessão").click()
    page.wait_for_url(re.compile(r"/sessions/\d+/$"))
    saved = Session.objects.get()
    assert (saved.name, saved.duration_minutes) == ("Psicoterapia – Mariana", 50)
    assert saved.starts_at.astimezone(workspace.tz).strftime("%Y-%m-%d %H:%M") == "2026-12-01 14:00"
    assert page.js_errors == []


def test_book_the_next_one_in_portuguese_keeps_the_date_a_week_later(page, login, owner, workspace):
    client = Client.objects.create(workspace=workspace, name="Mariana Souza")
    session = session_create(
        member=owner,
        client_id=client.pk,
        name="Psicoterapia",
        starts_at="2026-12-01T14:00",
        duration_minutes=50,
    ).session
    _in_portuguese(page, login, owner)
    page.goto(f"/w/serena/sessions/{session.pk}/")
    page.locator("a[href*='/sessions/new/']").first.click()
    page.wait_for_url(re.compile(r"/sessions/new/"))
    assert page.locator("input[name=date]").input_value() == "2026-12-08"
    page.get_by_role("button", name="Criar sessão").click()
    page.wait_for_url(re.compile(r"/sessions/\d+/$"))
    assert Session.objects.count() == 2
    assert page.js_errors == []
