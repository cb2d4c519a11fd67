"""Insights in a real browser, at desktop and phone widths: the client's Progress tab (the quoted
summary, themes, the trend drawn by Chart.js, attendance, a question answered with citations), the
pre-session briefing on the next session's page, the notes search, the progress report and its PDF
(read back), in English and in Portuguese; and a therapist without access sees only what they may."""

# ruff: noqa: F811 (the `practice` fixture is imported, then asked for by name)
from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

# The corpus practice of the insights tests (Marina's Portuguese notes, Daniel's English ones).
from atendo.insights.tests.conftest import _fresh_cache, practice  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _suffix(width: str) -> str:
    return "" if width == "desktop" else "-phone"


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_progress_tab_quotes_the_notes_and_draws_the_trend(
    page,
    login,
    therapist,
    practice,
    shot,
    width,
):
    page.set_viewport_size(WIDTHS[width])
    login(page, therapist)
    page.goto(f"/w/{therapist.workspace.slug}/clients/{practice.marina.pk}/?tab=progress")
    progress = page.get_by_test_id("progress")
    expect(progress).to_be_visible()
    expect(progress.get_by_role("heading", name="Treatment summary")).to_be_visible()
    quotes = progress.locator(".progress-summary blockquote")
    assert quotes.count() >= 5
    for text in quotes.all_inner_texts():
        assert any(text in note for note in practice.notes.values())
    expect(progress.locator(".themes")).to_contain_text("ansiedade")
    expect(progress.locator(".themes")).to_contain_text("sono")
    canvas = progress.locator("canvas[data-chart]").first
    expect(canvas).to_have_attribute("data-drawn", "1")
    expect(progress.locator(".progress-trends figcaption").first).to_contain_text("(8.0 → 3.0)")
    expect(progress.locator(".attendance")).to_contain_text("No-shows")
    _no_sideways_scroll(page)
    shot(page, "insights-progress" + _suffix(width))
    progress.locator(".progress-trends").scroll_into_view_if_needed()
    shot(page, "insights-trends" + _suffix(width))

    # A question, answered from the notes with each sentence cited and linked to its session.
    page.get_by_label("Question").fill("When did she last mention sleep? sono")
    page.get_by_role("button", name="Ask").click()
    answer = page.get_by_test_id("answer")
    expect(answer).to_contain_text("Quoted from the notes by the built-in engine.")
    cited = answer.locator("blockquote")
    assert cited.count() >= 1
    for text in cited.all_inner_texts():
        assert any(text in note for note in practice.notes.values())
    answer.scroll_into_view_if_needed()
    _no_sideways_scroll(page)
    shot(page, "insights-ask" + _suffix(width))

    # The period: a later start leaves out the first sessions, the URL keeps ISO dates.
    first_day = practice.sessions["marina"][3].starts_at.date().isoformat()
    page.locator("#progress-start").fill(first_day)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("progress").locator(".period")).to_contain_text(first_day[:4])
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_briefing_before_the_next_session(page, login, therapist, practice, shot, width):
    page.set_viewport_size(WIDTHS[width])
    login(page, therapist)
    upcoming = practice.upcoming["marina"]
    page.goto(f"/w/{therapist.workspace.slug}/sessions/{upcoming.pk}/")
    briefing = page.get_by_test_id("briefing")
    expect(briefing).to_be_visible()
    expect(briefing.get_by_role("heading", name="Before the session")).to_be_visible()
    expect(briefing).to_contain_text("Open follow-ups and homework")
    expect(briefing).to_contain_text("Reavaliação")
    expect(briefing.locator(".badge-pay-pending, .badge-pay-overdue")).to_be_visible()
    expect(briefing).to_contain_text("PHQ-9")
    previous = briefing.locator(".previous")
    expect(previous).to_have_count(3)
    for text in briefing.locator(".previous blockquote").all_inner_texts():
        assert any(text in note for note in practice.notes.values())
    briefing.scroll_into_view_if_needed()
    _no_sideways_scroll(page)
    shot(page, "insights-briefing" + _suffix(width))
    # A quoted session's date links to it.
    briefing.locator(".previous a.quote-date").first.click()
    expect(page).to_have_url(f"/w/{therapist.workspace.slug}/sessions/{practice.sessions['marina'][-1].pk}/")
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_searching_the_notes(page, login, therapist, practice, shot, width):
    page.set_viewport_size(WIDTHS[width])
    login(page, therapist)
    page.goto(f"/w/{therapist.workspace.slug}/")
    if width == "desktop":
        page.get_by_role("link", name="Search notes").click()
    else:
        page.goto(f"/w/{therapist.workspace.slug}/search/")
    expect(page.get_by_role("heading", name="Search the notes")).to_be_visible()
    page.get_by_label("Words to find").fill("dormiu")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.get_by_test_id("search-results")
    expect(results.locator(".search-result").first).to_be_visible()
    assert results.locator(".search-result").count() >= 3
    expect(results.locator(".search-result").first).to_contain_text("Marina Souza")
    snippets = results.locator(".snippet").all_inner_texts()
    assert any("dorm" in s.lower() or "sono" in s.lower() for s in snippets)
    _no_sideways_scroll(page)
    shot(page, "insights-search" + _suffix(width))
    results.locator(".search-result a").first.click()
    page.wait_for_url(f"**/w/{therapist.workspace.slug}/sessions/*/")
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_progress_report_and_its_pdf(page, login, therapist, practice, shot, width):
    page.set_viewport_size(WIDTHS[width])
    login(page, therapist)
    page.goto(f"/w/{therapist.workspace.slug}/clients/{practice.marina.pk}/progress-report/")
    report = page.get_by_test_id("report")
    expect(report.get_by_role("heading", name="Progress report")).to_be_visible()
    expect(report.locator("canvas[data-chart]").first).to_have_attribute("data-drawn", "1")
    _no_sideways_scroll(page)
    shot(page, "insights-report" + _suffix(width))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    raw = open(download_info.value.path(), "rb").read()  # noqa: SIM115
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(raw)).pages)
    assert "Progress report" in text and "Marina Souza" in text
    assert page.js_errors == []


def test_the_progress_tab_in_portuguese(browser, live_server, login, therapist, practice, shot):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=WIDTHS["phone"],
        locale="pt-BR",
        extra_http_headers={"Accept-Language": "pt-BR,pt;q=0.9"},
        timezone_id="America/Sao_Paulo",
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/login/")
        page.locator("input[name=username], input[type=email]").first.fill(therapist.user.email)
        page.locator("input[type=password]").first.fill("correct-horse-battery")
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state("networkidle")
        page.goto(f"/w/{therapist.workspace.slug}/clients/{practice.marina.pk}/?tab=progress")
        progress = page.get_by_test_id("progress")
        expect(progress.get_by_role("heading", name="Resumo do tratamento")).to_be_visible()
        expect(progress.locator("canvas[data-chart]").first).to_have_attribute("data-drawn", "1")
        shot(page, "insights-progress-pt-br-phone")
        upcoming = practice.upcoming["marina"]
        page.goto(f"/w/{therapist.workspace.slug}/sessions/{upcoming.pk}/")
        expect(page.get_by_test_id("briefing").get_by_role("heading", name="Antes da sessão")).to_be_visible()
        assert errors == []
    finally:
        context.close()


def test_a_therapist_without_access_sees_attendance_only(page, login, other_therapist, practice, shot):
    login(page, other_therapist)
    page.goto(f"/w/{other_therapist.workspace.slug}/clients/{practice.marina.pk}/?tab=progress")
    progress = page.get_by_test_id("progress")
    expect(progress.get_by_test_id("progress-withheld")).to_be_visible()
    expect(progress.locator(".attendance")).to_be_visible()
    expect(progress.locator("blockquote")).to_have_count(0)
    body = page.content()
    for note in practice.notes.values():
        assert not note or note[:40] not in body
    page.goto(f"/w/{other_therapist.workspace.slug}/search/?q=sono")
    expect(page.get_by_test_id("search-results")).to_contain_text("Nothing found")
    assert page.js_errors == []
