"""Settings pages: the index, general settings and the working-hours editor."""

from __future__ import annotations

import pytest
from django.test import Client

from atendo.audit.models import AuditEvent
from atendo.workspaces.models import Workspace

pytestmark = pytest.mark.django_db

GENERAL = {
    "name": "Clínica Serena Centro",
    "timezone": "Europe/Lisbon",
    "currency": "eur",
    "language": "pt-br",
    "default_duration_minutes": "50",
    "default_status": "scheduled",
    "default_start_time": "08:30",
    "slot_minutes": "15",
    "default_calendar_view": "day",
    "payment_due_days": "10",
    "cancellation_window_hours": "24",
    "prevent_double_booking": "on",
}


def test_settings_index_links_to_every_page_an_owner_may_open(owner, page_client):
    html = page_client(owner).get("/w/serena/settings/").content.decode()
    for href in [
        "/w/serena/settings/workspace/",
        "/w/serena/settings/working-hours/",
        "/w/serena/settings/members/",
        "/w/serena/settings/roles/",
        "/w/serena/settings/api-tokens/",
        "/w/serena/settings/audit/",
        "/w/serena/settings/fields/client/",
        "/w/serena/settings/fields/session/",
        "/w/serena/settings/fields/evaluation/",
        "/w/serena/settings/therapy-types/",
        "/account/password/",
    ]:
        assert f'href="{href}"' in html, href


def test_settings_index_shows_an_assistant_only_what_they_may_open(assistant, page_client):
    response = page_client(assistant).get("/w/serena/settings/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/w/serena/settings/api-tokens/"' in html
    assert f'href="/w/serena/settings/members/{assistant.pk}/hours/"' in html
    hidden = [
        "workspace/",
        "working-hours/",
        "members/",
        "roles/",
        "audit/",
        "fields/client/",
        "fields/session/",
        "fields/evaluation/",
        "therapy-types/",
    ]
    for path in hidden:
        assert f'href="/w/serena/settings/{path}"' not in html, path


def test_settings_pages_check_access(owner, assistant, outsider, page_client):
    pages = [
        "/w/serena/settings/",
        "/w/serena/settings/workspace/",
        "/w/serena/settings/working-hours/",
        "/w/serena/settings/members/",
        "/w/serena/settings/roles/",
        "/w/serena/settings/roles/new/",
        "/w/serena/settings/api-tokens/",
    ]
    for url in pages:
        assert page_client(outsider).get(url).status_code == 404, url
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/"), url
    for url in pages[1:6]:
        assert page_client(assistant).get(url).status_code == 403, url
    for url in pages:
        assert page_client(owner).get(url).status_code == 200, url


def test_general_settings_form_shows_the_current_values(owner, page_client):
    html = page_client(owner).get("/w/serena/settings/workspace/").content.decode()
    assert '<option value="America/Sao_Paulo" selected>America/Sao Paulo</option>' in html
    assert 'value="Clínica Serena"' in html
    assert '<label for="id_timezone">Time zone' in html
    assert 'value="09:00"' in html


def test_owner_saves_general_settings(owner, page_client):
    response = page_client(owner).post("/w/serena/settings/workspace/", GENERAL)
    assert response.status_code == 302
    ws = Workspace.objects.get(slug="serena")
    assert (ws.name, ws.timezone, ws.currency, ws.language) == (
        "Clínica Serena Centro",
        "Europe/Lisbon",
        "EUR",
        "pt-br",
    )
    assert ws.default_duration_minutes == 50 and ws.slot_minutes == 15
    assert ws.default_start_time.strftime("%H:%M") == "08:30"
    assert ws.default_calendar_view == "day" and ws.prevent_double_booking and ws.payment_due_days == 10
    event = AuditEvent.objects.get(action="workspace.update")
    assert event.changes["timezone"] == ["America/Sao_Paulo", "Europe/Lisbon"]


def test_bad_general_settings_are_refused_next_to_the_field_and_nothing_changes(owner, page_client):
    bad = {**GENERAL, "timezone": "Mars/Olympus", "default_duration_minutes": "0"}
    response = page_client(owner).post("/w/serena/settings/workspace/", bad)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Select a valid choice" in html  # the time zone select offers IANA zones only
    bad = {**GENERAL, "default_duration_minutes": "0", "currency": "EURO"}
    response = page_client(owner).post("/w/serena/settings/workspace/", bad)
    assert response.status_code == 422
    html = response.content.decode()
    assert "The default duration must be between 1 and 1440." in html or "at most 3 characters" in html
    ws = Workspace.objects.get(slug="serena")
    assert ws.name == "Clínica Serena" and ws.default_duration_minutes == 60
    assert not AuditEvent.objects.filter(action="workspace.update").exists()


def test_a_rule_of_the_service_is_shown_on_its_field(owner, page_client):
    response = page_client(owner).post(
        "/w/serena/settings/workspace/", {**GENERAL, "default_duration_minutes": "5000"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "The default duration must be between 1 and 1440." in html
    assert 'aria-invalid="true"' in html
    assert Workspace.objects.get(slug="serena").default_duration_minutes == 60


# --- Working hours ---------------------------------------------------------------------------------


def hours_post(**days: list[tuple[str, str]]) -> dict[str, str]:
    data: dict[str, str] = {}
    for day, intervals in days.items():
        for i, (start, end) in enumerate(intervals):
            data[f"{day}-{i}-start"] = start
            data[f"{day}-{i}-end"] = end
    return data


def test_working_hours_editor_shows_every_day_and_interval(owner, page_client):
    html = page_client(owner).get("/w/serena/settings/working-hours/").content.decode()
    for day in ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]:
        assert day in html
    assert 'name="mon-0-start" value="09:00"' in html
    assert 'name="mon-1-end" value="18:00"' in html
    assert 'name="mon-2-start" value=""' in html  # the empty row that adds an interval without JS
    assert 'data-day="sat" data-next-index="1" data-empty' in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_owner_saves_several_intervals_a_day(owner, page_client):
    data = hours_post(
        mon=[("08:00", "12:00"), ("13:00", "17:00"), ("", "")],
        tue=[("14:00", "20:00"), ("07:00", "09:00")],
        sat=[("09:00", "00:00")],
    )
    response = page_client(owner).post("/w/serena/settings/working-hours/", data)
    assert response.status_code == 302
    hours = Workspace.objects.get(slug="serena").working_hours
    assert hours["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert hours["tue"] == [["07:00", "09:00"], ["14:00", "20:00"]]
    assert hours["sat"] == [["09:00", "24:00"]]  # an end of 00:00 is midnight
    assert hours["wed"] == [] and hours["sun"] == []
    follow = page_client(owner).get("/w/serena/settings/working-hours/").content.decode()
    assert 'name="sat-0-end" value="00:00"' in follow


def test_ticking_remove_drops_an_interval(owner, page_client):
    data = hours_post(mon=[("09:00", "12:00"), ("13:00", "18:00")])
    data["mon-1-remove"] = "1"
    page_client(owner).post("/w/serena/settings/working-hours/", data)
    assert Workspace.objects.get(slug="serena").working_hours["mon"] == [["09:00", "12:00"]]


@pytest.mark.parametrize(
    ("intervals", "message"),
    [
        ([("09:00", "12:00"), ("11:00", "14:00")], "overlaps interval 1"),
        ([("18:00", "09:00")], "ends (09:00) before it starts (18:00)"),
        ([("09:00", "")], "Give both a start and an end time"),
        ([("9h", "10:00")], "Times must be 24-hour HH:mm"),
    ],
)
def test_bad_intervals_are_refused_on_their_row_and_nothing_changes(owner, page_client, intervals, message):
    before = Workspace.objects.get(slug="serena").working_hours
    response = page_client(owner).post("/w/serena/settings/working-hours/", hours_post(wed=intervals))
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert "Nothing was saved" in html
    assert 'aria-invalid="true"' in html
    assert Workspace.objects.get(slug="serena").working_hours == before


def test_htmx_save_answers_with_the_form_alone(owner, page_client):
    response = page_client(owner).post(
        "/w/serena/settings/working-hours/", hours_post(mon=[("10:00", "16:00")]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<form")
    assert "Working hours saved." in html
    assert Workspace.objects.get(slug="serena").working_hours["mon"] == [["10:00", "16:00"]]
    bad = page_client(owner).post(
        "/w/serena/settings/working-hours/",
        hours_post(mon=[("10:00", "09:00")]),
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 200
    assert "Nothing was saved" in bad.content.decode()


def test_assistant_cannot_change_working_hours(assistant, page_client):
    response = page_client(assistant).post(
        "/w/serena/settings/working-hours/", hours_post(mon=[("10:00", "11:00")])
    )
    assert response.status_code == 403
    assert Workspace.objects.get(slug="serena").working_hours["mon"] == [
        ["09:00", "12:00"],
        ["13:00", "18:00"],
    ]


def test_settings_page_in_portuguese(owner, page_client):
    client = page_client(owner)
    response = client.post("/i18n/setlang/", {"language": "pt-br", "next": "/w/serena/settings/"})
    assert response.status_code == 302
    html = client.get("/w/serena/settings/working-hours/").content.decode()
    assert '<html lang="pt-br">' in html
    assert "Horário de atendimento" in html
    assert "Segunda-feira" in html
    assert "Salvar horários" in html


# --- A member's own working hours -----------------------------------------------------------------


def test_a_therapist_sets_their_own_hours_and_goes_back_to_the_workspaces(therapist, page_client):
    client = page_client(therapist)
    url = f"/w/serena/settings/members/{therapist.pk}/hours/"
    page = client.get(url).content.decode()
    assert "Your working hours" in page
    assert 'value="workspace" checked' in page
    assert 'name="mon-0-start" value="09:00"' in page  # starts from the workspace's hours
    response = client.post(url, {"source": "own", **hours_post(thu=[("14:00", "20:00")])})
    assert response.status_code == 302
    therapist.refresh_from_db()
    assert therapist.working_hours["thu"] == [["14:00", "20:00"]] and therapist.working_hours["mon"] == []
    assert 'value="own" checked' in client.get(url).content.decode()
    client.post(url, {"source": "workspace", **hours_post(thu=[("14:00", "20:00")])})
    therapist.refresh_from_db()
    assert therapist.working_hours is None


def test_own_hours_are_checked_by_the_same_rules(therapist, page_client):
    url = f"/w/serena/settings/members/{therapist.pk}/hours/"
    response = page_client(therapist).post(url, {"source": "own", **hours_post(fri=[("10:00", "09:00")])})
    assert response.status_code == 422
    assert "ends (09:00) before it starts (10:00)" in response.content.decode()
    therapist.refresh_from_db()
    assert therapist.working_hours is None


def test_member_hours_check_access(owner, therapist, other_therapist, outsider, page_client):
    url = f"/w/serena/settings/members/{therapist.pk}/hours/"
    data = {"source": "own", **hours_post(mon=[("08:00", "09:00")])}
    assert page_client(other_therapist).get(url).status_code == 403
    assert page_client(other_therapist).post(url, data).status_code == 403
    assert page_client(outsider).get(url).status_code == 404
    assert page_client(outsider).get(f"/w/outra/settings/members/{therapist.pk}/hours/").status_code == 404
    therapist.refresh_from_db()
    assert therapist.working_hours is None
    # An owner (members.manage) may set anyone's hours.
    assert page_client(owner).post(url, data).status_code == 302
    therapist.refresh_from_db()
    assert therapist.working_hours["mon"] == [["08:00", "09:00"]]


ODD_VALUES = ["", " ", "\x00", "-1", "99999999999999999999999", "1e9", "abc", "25:61", "x" * 300, "<b>"]


def test_odd_input_to_every_settings_form_is_refused_not_crashed(owner, therapist, page_client):
    from atendo.workspaces.models import Role

    client = page_client(owner)
    role = Role.objects.get(workspace=owner.workspace, name="Assistant")
    posts: list[tuple[str, list[str]]] = [
        ("/w/serena/settings/workspace/", list(GENERAL)),
        ("/w/serena/settings/working-hours/", ["mon-0-start", "mon-0-end", "mon-999-start", "sun-1-remove"]),
        (f"/w/serena/settings/members/{therapist.pk}/hours/", ["source", "tue-0-start", "tue-0-end"]),
        ("/w/serena/settings/members/", ["email", "name", "role"]),
        (f"/w/serena/settings/members/{therapist.pk}/", ["role", "is_active"]),
        ("/w/serena/settings/roles/new/", ["name", "permissions"]),
        (f"/w/serena/settings/roles/{role.pk}/", ["name", "permissions"]),
        ("/w/serena/settings/api-tokens/", ["name"]),
    ]
    blank = {"", " "}
    # What each form answers: the members page redirects with its message (the role stays); blank
    # hours mean no hours; a token may be called "abc" or "<b>" (shown escaped); the rest is refused.
    saved = {
        f"/w/serena/settings/members/{therapist.pk}/": set(ODD_VALUES),
        "/w/serena/settings/working-hours/": blank,
        f"/w/serena/settings/members/{therapist.pk}/hours/": blank,
        "/w/serena/settings/api-tokens/": set(ODD_VALUES) - blank - {"\x00", "x" * 300},
    }
    therapist_role = therapist.role_id
    for url, keys in posts:
        for value in ODD_VALUES:
            data = {**(GENERAL if "workspace/" in url else {}), **dict.fromkeys(keys, value)}
            response = client.post(url, data)
            expected = 302 if value in saved.get(url, set()) else 422
            assert response.status_code == expected, (url, value, response.status_code)
    therapist.refresh_from_db()
    assert therapist.role_id == therapist_role
    owner.refresh_from_db()
    assert owner.is_active and owner.role.is_owner


def test_settings_pages_have_no_inline_scripts(owner, therapist, page_client):
    """CSP is script-src 'self': a page with an inline script or handler would break in browsers."""
    import re

    client = page_client(owner)
    for url in [
        "/w/serena/settings/",
        "/w/serena/settings/workspace/",
        "/w/serena/settings/working-hours/",
        f"/w/serena/settings/members/{therapist.pk}/hours/",
        "/w/serena/settings/members/",
        "/w/serena/settings/roles/",
        "/w/serena/settings/roles/new/",
        "/w/serena/settings/api-tokens/",
        "/w/serena/settings/audit/",
    ]:
        response = client.get(url, follow=True)
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], url
    for url in ["/login/", "/password-reset/"]:
        html = Client().get(url).content.decode()
        assert "<script src=" in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url


def test_each_field_settings_link_follows_its_own_permission(owner, page_client):
    from atendo.workspaces.services import member_add, role_create

    role_create(member=owner, name="Forms", permissions=["session.fields.manage", "therapy_types.manage"])
    forms_person = member_add(
        workspace=owner.workspace, actor=None, email="forms@serena.test", role_name="Forms"
    )
    html = page_client(forms_person).get("/w/serena/settings/").content.decode()
    assert 'href="/w/serena/settings/fields/session/"' in html
    assert 'href="/w/serena/settings/therapy-types/"' in html
    assert 'href="/w/serena/settings/fields/client/"' not in html
    assert 'href="/w/serena/settings/fields/evaluation/"' not in html
    assert 'href="/w/serena/settings/members/"' not in html
