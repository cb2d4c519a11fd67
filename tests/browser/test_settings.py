"""Settings in a real browser: the working-hours editor (add, change, remove, save with htmx), the
error shown on a bad interval, and the language switcher turning the page into Portuguese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from atendo.workspaces.models import Workspace

PASSWORD = "correct-horse-battery"

pytestmark = pytest.mark.django_db(transaction=True)


def test_owner_changes_the_working_hours_in_the_browser(page, login, owner, shot):
    login(page, owner)
    page.goto("/w/serena/settings/")
    page.get_by_role("link", name="Working hours").first.click()
    expect(page.get_by_role("heading", name="Working hours", level=1)).to_be_visible()
    expect(page.locator('[data-day="sat"] .hours-closed')).to_be_visible()

    # Monday: end the morning at 11:30 and drop the afternoon.
    page.get_by_label("Monday, interval 1, end").fill("11:30")
    page.get_by_role("button", name="Remove (Monday, interval 2)").click()
    # Saturday: open 09:00–13:00 and 14:00–16:00.
    saturday = page.locator('[data-day="sat"]')
    saturday.get_by_role("button", name="Add interval").click()
    page.get_by_label("Saturday, interval 1, start").fill("09:00")
    page.get_by_label("Saturday, interval 1, end").fill("13:00")
    saturday.get_by_role("button", name="Add interval").click()
    page.get_by_label("Saturday, interval 2, start").fill("14:00")
    page.get_by_label("Saturday, interval 2, end").fill("16:00")
    expect(page.locator('[data-day="sat"] .hours-closed')).to_be_hidden()
    shot(page, "settings")

    assert page.evaluate("typeof window.htmx") == "object"
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("button", name="Save working hours").click()
    expect(page.get_by_text("Working hours saved.")).to_be_visible()
    assert page.evaluate("window.__notReloaded") is True  # saved in place by htmx
    hours = Workspace.objects.get(slug="serena").working_hours
    assert hours["mon"] == [["09:00", "11:30"]]
    assert hours["sat"] == [["09:00", "13:00"], ["14:00", "16:00"]]
    assert hours["tue"] == [["09:00", "12:00"], ["13:00", "18:00"]]

    page.reload()
    expect(page.get_by_label("Saturday, interval 2, end")).to_have_value("16:00")
    expect(page.get_by_label("Monday, interval 1, end")).to_have_value("11:30")
    assert page.js_errors == []


def test_an_overlapping_interval_is_shown_on_its_row_and_not_saved(page, login, owner, shot):
    login(page, owner)
    page.goto("/w/serena/settings/working-hours/")
    page.get_by_label("Tuesday, interval 2, start").fill("11:00")
    page.get_by_role("button", name="Save working hours").click()
    expect(page.get_by_text("Some intervals need fixing. Nothing was saved.")).to_be_visible()
    expect(page.get_by_text("This interval overlaps interval 1 of the day.")).to_be_visible()
    expect(page.get_by_label("Tuesday, interval 2, start")).to_have_attribute("aria-invalid", "true")
    shot(page, "settings-hours-error")
    assert Workspace.objects.get(slug="serena").working_hours["tue"] == [
        ["09:00", "12:00"],
        ["13:00", "18:00"],
    ]
    assert page.js_errors == []


def test_the_language_switcher_shows_the_settings_in_portuguese(page, login, owner, shot):
    login(page, owner)
    page.goto("/w/serena/settings/")
    page.get_by_label("Language").select_option("pt-br")
    expect(page.get_by_role("heading", name="Configurações", level=1)).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "pt-br"
    page.get_by_role("link", name="Horário de atendimento").first.click()
    expect(page.get_by_role("heading", name="Horário de atendimento", level=1)).to_be_visible()
    expect(page.locator("#day-mon")).to_have_text("Segunda-feira")
    expect(page.get_by_role("button", name="Salvar horários")).to_be_visible()
    shot(page, "settings-pt-br")
    page.goto("/w/serena/settings/workspace/")
    expect(page.get_by_role("heading", name="Configurações gerais", level=1)).to_be_visible()
    shot(page, "settings-general-pt-br")
    assert page.js_errors == []


def test_settings_pages_render_for_an_owner(page, login, owner, therapist, shot):
    login(page, owner)
    for url, name in [
        ("/w/serena/settings/", "settings-index"),
        ("/w/serena/settings/workspace/", "settings-general"),
        ("/w/serena/settings/members/", "settings-members"),
        ("/w/serena/settings/roles/new/", "settings-role"),
        ("/w/serena/settings/api-tokens/", "settings-tokens"),
        ("/w/serena/settings/audit/", "settings-audit"),
    ]:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        shot(page, name)
    assert page.js_errors == []


def test_settings_are_usable_at_tablet_width(page, login, owner, shot):
    page.set_viewport_size({"width": 768, "height": 1024})
    login(page, owner)
    page.goto("/w/serena/settings/working-hours/")
    expect(page.get_by_role("button", name="Save working hours")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768
    shot(page, "settings-tablet")


def test_working_hours_work_as_a_plain_form_without_javascript(browser, live_server, owner):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-US")
    page = context.new_page()
    try:
        page.goto("/login/")
        page.get_by_label("E-mail").fill(owner.user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto("/w/serena/settings/working-hours/")
        expect(page.get_by_role("button", name="Add interval").first).to_be_hidden()
        # Add Sunday 10:00-12:00 in the empty row; remove Friday afternoon with its checkbox.
        page.get_by_label("Sunday, new interval, start").fill("10:00")
        page.get_by_label("Sunday, new interval, end").fill("12:00")
        page.locator('[name="fri-1-remove"]').check()
        page.get_by_role("button", name="Save working hours").click()
        expect(page.get_by_text("Working hours saved.")).to_be_visible()
        hours = Workspace.objects.get(slug="serena").working_hours
        assert hours["sun"] == [["10:00", "12:00"]]
        assert hours["fri"] == [["09:00", "12:00"]]
    finally:
        context.close()


def test_copy_monday_to_the_other_weekdays(page, login, owner):
    login(page, owner)
    page.goto("/w/serena/settings/working-hours/")
    page.get_by_label("Monday, interval 1, start").fill("08:00")
    page.get_by_role("button", name="Remove (Monday, interval 2)").click()
    page.get_by_role("button", name="Copy Monday to Tuesday–Friday").click()
    expect(page.get_by_label("Friday, interval 1, start")).to_have_value("08:00")
    expect(page.get_by_label("Friday, interval 1, end")).to_have_value("12:00")
    page.get_by_role("button", name="Save working hours").click()
    expect(page.get_by_text("Working hours saved.")).to_be_visible()
    hours = Workspace.objects.get(slug="serena").working_hours
    for day in ["mon", "tue", "wed", "thu", "fri"]:
        assert hours[day] == [["08:00", "12:00"]], day
    assert hours["sat"] == [] and hours["sun"] == []
    assert page.js_errors == []
