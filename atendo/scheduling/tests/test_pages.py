"""The Dashboard › Sessions pages: access, the calendar shell, the list, the session form and page."""

from __future__ import annotations

import json
import re

import pytest

from atendo.scheduling import sealing
from atendo.scheduling.models import Session, SessionStatusChange
from tests.factories import ClientFactory, FieldDefinitionFactory, MemberFactory, RoleFactory

pytestmark = pytest.mark.django_db

BASE = "/w/serena/sessions"


def _config(response) -> dict:
    match = re.search(
        r'<script id="calendar-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the calendar page carries its config as json_script"
    return json.loads(match.group(1))


# --- access -------------------------------------------------------------------------------------


def _page_paths(session_id: int, client_id: int) -> list[str]:
    return [
        f"{BASE}/",
        f"{BASE}/list/",
        f"{BASE}/new/",
        f"{BASE}/{session_id}/",
        f"{BASE}/{session_id}/edit/",
        f"{BASE}/{session_id}/delete/",
        f"{BASE}/client/{client_id}/",
        f"{BASE}/client-options/?q=a",
    ]


def test_outsider_gets_404_on_every_sessions_page(page_client, outsider, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00")
    http = page_client(outsider)
    for path in _page_paths(session.pk, client_ana.pk):
        assert http.get(path).status_code == 404, path
    for path in (f"{BASE}/{session.pk}/status/", f"{BASE}/{session.pk}/fields/pre/"):
        assert http.post(path, {"status": "cancelled", "version": 1}).status_code == 404, path


def test_member_without_session_read_gets_403(page_client, receptionist, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00")
    http = page_client(receptionist)
    for path in _page_paths(session.pk, client_ana.pk):
        assert http.get(path).status_code == 403, path
    response = http.post(f"{BASE}/{session.pk}/status/", {"status": "cancelled", "version": 1})
    assert response.status_code == 403
    assert Session.objects.get(pk=session.pk).status == "scheduled"


def test_assistant_cannot_open_the_delete_page(page_client, assistant, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00")
    assert page_client(assistant).get(f"{BASE}/{session.pk}/delete/").status_code == 403
    assert page_client(assistant).post(f"{BASE}/{session.pk}/delete/").status_code == 403
    assert Session.objects.filter(pk=session.pk).exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(f"{BASE}/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_session_of_another_workspace_is_404(page_client, owner, outsider, other_workspace):
    from atendo.scheduling.services import session_create

    foreign = ClientFactory(workspace=other_workspace, name="Longe")
    other = session_create(
        member=outsider, client_id=foreign.pk, name="X", starts_at="2026-03-10T10:00"
    ).session
    http = page_client(owner)
    assert http.get(f"{BASE}/{other.pk}/").status_code == 404
    assert http.get(f"{BASE}/{other.pk}/edit/").status_code == 404
    assert http.get(f"{BASE}/client/{foreign.pk}/").status_code == 404


# --- calendar shell -------------------------------------------------------------------------------


def test_calendar_config_comes_from_workspace_settings(page_client, owner, workspace):
    workspace.slot_minutes = 15
    workspace.default_calendar_view = "month"
    workspace.save()
    response = page_client(owner).get(f"{BASE}/")
    assert response.status_code == 200
    config = _config(response)
    assert config["timezone"] == "America/Sao_Paulo"
    assert config["slot_minutes"] == 15
    assert config["initial_view"] == "month"
    assert {"daysOfWeek": [1], "startTime": "09:00", "endTime": "12:00"} in config["business_hours"]
    assert not any(h["daysOfWeek"] == [0] for h in config["business_hours"])  # Sunday closed
    assert config["sessions_url"] == "/api/v1/workspaces/serena/sessions"
    assert config["can_create"] and config["can_update"]
    body = response.content.decode()
    assert "vendor/fullcalendar/index.global.min.js" in body
    assert 'id="create-dialog"' in body
    assert "<script>" not in body  # CSP: no inline scripts


def test_calendar_view_and_date_come_from_the_url(page_client, owner):
    config = _config(page_client(owner).get(f"{BASE}/?view=day&date=2026-03-10"))
    assert config["initial_view"] == "day"
    assert config["initial_date"] == "2026-03-10"
    config = _config(page_client(owner).get(f"{BASE}/?view=year&date=2026-02-30"))
    assert config["initial_view"] == "week"
    assert config["initial_date"] == ""


def test_calendar_offers_filterable_custom_fields(page_client, owner, workspace):
    FieldDefinitionFactory(
        workspace=workspace,
        scope="session",
        phase="pre",
        key="modality",
        label="Modality",
        type="select",
        options=[{"value": "online", "label": "Online"}, {"value": "office", "label": "Office"}],
        filterable=True,
        clinical=False,
    )
    body = page_client(owner).get(f"{BASE}/?field.modality=online").content.decode()
    assert 'name="field.modality"' in body
    assert '<option value="online" selected>Online</option>' in body


def test_calendar_in_portuguese_loads_the_pt_br_locale(page_client, owner):
    http = page_client(owner)
    http.cookies["django_language"] = "pt-br"
    response = http.get(f"{BASE}/", HTTP_ACCEPT_LANGUAGE="pt-br")
    assert _config(response)["locale"] == "pt-br"
    assert "vendor/fullcalendar-locales/pt-br.global.min.js" in response.content.decode()


def test_assistant_calendar_cannot_create_when_role_lacks_it(page_client, workspace, assistant):
    reads_only = [p for p in assistant.role.permissions if p not in ("session.create", "session.update")]
    viewer = MemberFactory(workspace=workspace, role=RoleFactory(workspace=workspace, permissions=reads_only))
    response = page_client(viewer).get(f"{BASE}/")
    assert 'id="create-dialog"' not in response.content.decode()
    config = _config(response)
    assert config["can_create"] is False
    assert config["can_update"] is False
    assert page_client(viewer).get(f"{BASE}/new/").status_code == 403


# --- list -------------------------------------------------------------------------------------------


def test_list_shows_sessions_and_filters_by_client(page_client, owner, client_ana, client_bia, book):
    book(client_ana, "2026-03-10T10:00", name="Ana first")
    book(client_bia, "2026-03-11T10:00", name="Bia first")
    http = page_client(owner)
    body = http.get(f"{BASE}/list/").content.decode()
    assert "Ana first" in body and "Bia first" in body
    body = http.get(f"{BASE}/list/?client={client_ana.pk}").content.decode()
    assert "Ana first" in body and "Bia first" not in body
    assert f"export.csv?client_id={client_ana.pk}" in body


def test_list_is_cursor_paginated_and_sortable(
    page_client, owner, client_ana, book, django_assert_max_num_queries
):
    for day in range(1, 61):
        book(client_ana, "2026-01-01T08:00:00-03:00", name=f"S{day:02d}", minutes=1 + day)
    http = page_client(owner)
    with django_assert_max_num_queries(14):
        response = http.get(f"{BASE}/list/?sort=duration_minutes")
    body = response.content.decode()
    assert "S01" in body and "S50" in body and "S51" not in body
    next_link = re.search(r'rel="next" href="\?([^"]+)"', body).group(1).replace("&amp;", "&")
    body = http.get(f"{BASE}/list/?{next_link}").content.decode()
    assert "S51" in body and "S60" in body and "S01" not in body


def test_list_with_a_bad_cursor_says_so(page_client, owner):
    response = page_client(owner).get(f"{BASE}/list/?cursor=garbage")
    assert response.status_code == 200
    assert "cursor is not valid" in response.content.decode()


# --- create -------------------------------------------------------------------------------------------


def _form(client_id: int, practitioner_id: int, **extra) -> dict:
    data = {
        "name": "Primeira consulta",
        "client": client_id,
        "practitioner": practitioner_id,
        "therapy_type": "",
        "date": "2026-03-10",
        "start_time": "10:00",
        "duration_minutes": 50,
        "status": "scheduled",
        "notes": "",
        "admin_notes": "",
    }
    data.update(extra)
    return data


def test_new_session_form_is_prefilled_from_the_slot(page_client, owner, client_ana):
    body = (
        page_client(owner)
        .get(f"{BASE}/new/?date=2026-03-10&start_time=14:30&duration_minutes=45&client={client_ana.pk}")
        .content.decode()
    )
    assert 'value="2026-03-10"' in body
    assert 'value="14:30"' in body
    assert 'value="45"' in body
    assert f'<option value="{client_ana.pk}" selected>Ana Cliente</option>' in body


def test_create_session_through_the_form(page_client, owner, client_ana):
    response = page_client(owner).post(f"{BASE}/new/", _form(client_ana.pk, owner.pk))
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/{session.pk}/"
    local = session.starts_at.astimezone(session.workspace.tz)
    assert (local.hour, local.minute, session.duration_minutes) == (10, 0, 50)


def test_create_returns_to_the_calendar_it_came_from(page_client, owner, client_ana):
    data = _form(client_ana.pk, owner.pk, next=f"{BASE}/?view=day&date=2026-03-10")
    response = page_client(owner).post(f"{BASE}/new/", data)
    assert response["Location"] == f"{BASE}/?view=day&date=2026-03-10"
    data = _form(client_ana.pk, owner.pk, next="https://evil.example/")
    response = page_client(owner).post(f"{BASE}/new/", data)
    assert response["Location"].startswith(f"{BASE}/")


def test_create_shows_warnings_after_saving(page_client, owner, client_ana, book):
    book(client_ana, "2026-03-10T10:30")
    response = page_client(owner).post(f"{BASE}/new/", _form(client_ana.pk, owner.pk), follow=True)
    body = response.content.decode()
    assert "Overlaps another session of the same client or practitioner: Ana Cliente, 10:30–11:30" in body


def test_bad_input_shows_errors_and_stores_nothing(page_client, owner, client_ana):
    http = page_client(owner)
    response = http.post(
        f"{BASE}/new/", _form(client_ana.pk, owner.pk, duration_minutes=0, start_time="25:00")
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"duration_minutes", "start_time"}
    assert not Session.objects.exists()


def test_create_a_weekly_series(page_client, owner, client_ana):
    data = _form(
        client_ana.pk, owner.pk, **{"repeat-repeat": "weekly", "repeat-ends": "count", "repeat-count": 4}
    )
    page_client(owner).post(f"{BASE}/new/", data)
    sessions = list(Session.objects.order_by("starts_at"))
    assert len(sessions) == 4
    assert len({s.series_id for s in sessions}) == 1 and sessions[0].series_id
    assert [s.starts_at.astimezone(s.workspace.tz).day for s in sessions] == [10, 17, 24, 31]


def test_every_n_weeks_needs_the_interval(page_client, owner, client_ana):
    data = _form(
        client_ana.pk,
        owner.pk,
        **{"repeat-repeat": "every_n_weeks", "repeat-ends": "count", "repeat-count": 3},
    )
    response = page_client(owner).post(f"{BASE}/new/", {**data, "repeat-interval": ""})
    assert "interval" in response.context["recurrence"].errors
    assert not Session.objects.exists()


def test_required_pre_session_field_is_enforced_by_the_engine(page_client, owner, client_ana, workspace):
    FieldDefinitionFactory(
        workspace=workspace,
        scope="session",
        phase="pre",
        key="reason",
        label="Reason",
        type="text",
        required=True,
    )
    response = page_client(owner).post(
        f"{BASE}/new/", _form(client_ana.pk, owner.pk, **{"fields.pre.reason": ""})
    )
    # Required pre-session values are enforced when pre values are given; none given -> saved.
    assert response.status_code == 302
    response = page_client(owner).post(
        f"{BASE}/new/",
        _form(client_ana.pk, owner.pk, **{"fields.pre.reason": "Back pain"}, start_time="12:00"),
    )
    assert response.status_code == 302
    assert sealing.open_phase(Session.objects.order_by("-id").first(), "pre") == {"reason": "Back pain"}


# --- edit and conflicts --------------------------------------------------------------------------------


def test_edit_saves_the_change(page_client, owner, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00")
    data = _form(client_ana.pk, owner.pk, name="Renamed", start_time="11:00", version=session.version)
    response = page_client(owner).post(f"{BASE}/{session.pk}/edit/", data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.name == "Renamed"
    assert session.starts_at.astimezone(session.workspace.tz).hour == 11


def test_stale_edit_shows_the_conflict_and_keeps_what_was_typed(page_client, owner, client_ana, book):
    from atendo.scheduling.services import session_update

    session = book(client_ana, "2026-03-10T10:00")
    stale = session.version
    session_update(member=owner, session_id=session.pk, version=stale, changes={"name": "Theirs"})
    data = _form(client_ana.pk, owner.pk, name="Mine", version=stale)
    http = page_client(owner)
    response = http.post(f"{BASE}/{session.pk}/edit/", data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this session" in body
    assert 'value="Mine"' in body  # what was typed is still in the form
    assert "Theirs" in body  # and the current state is shown
    session.refresh_from_db()
    assert session.name == "Theirs"
    # Saving again is knowingly based on the current version.
    data["version"] = re.search(r'name="version" value="(\d+)"', body).group(1)
    assert http.post(f"{BASE}/{session.pk}/edit/", data).status_code == 302
    session.refresh_from_db()
    assert session.name == "Mine"


def test_assistant_edit_form_has_no_notes_field(page_client, assistant, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00", notes="Very private")
    body = page_client(assistant).get(f"{BASE}/{session.pk}/edit/").content.decode()
    assert 'name="notes"' not in body
    assert "Very private" not in body
    data = _form(client_ana.pk, assistant.pk, name="Moved", practitioner=session.practitioner_id, version=1)
    data.pop("notes")
    assert page_client(assistant).post(f"{BASE}/{session.pk}/edit/", data).status_code == 302
    session.refresh_from_db()
    assert sealing.open_notes(session) == "Very private" and session.name == "Moved"


def test_edit_all_of_a_series(page_client, owner, client_ana):
    from atendo.scheduling.services import session_create

    first = session_create(
        member=owner,
        client_id=client_ana.pk,
        name="Weekly",
        starts_at="2026-03-10T10:00",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=3"},
    ).session
    data = _form(client_ana.pk, owner.pk, name="Weekly yoga", version=first.version, scope="all")
    assert page_client(owner).post(f"{BASE}/{first.pk}/edit/", data).status_code == 302
    assert set(Session.objects.values_list("name", flat=True)) == {"Weekly yoga"}


# --- detail, status, phases, delete ------------------------------------------------------------------


def test_detail_shows_notes_to_the_owner_and_never_to_the_assistant(
    page_client, owner, assistant, client_ana, book
):
    session = book(client_ana, "2026-03-10T10:00", notes="Confidential remark", admin_notes="Bring invoice")
    owner_body = page_client(owner).get(f"{BASE}/{session.pk}/").content.decode()
    assert "Confidential remark" in owner_body and "Bring invoice" in owner_body
    body = page_client(assistant).get(f"{BASE}/{session.pk}/").content.decode()
    assert "Confidential remark" not in body
    assert "Session notes" not in body
    assert "Bring invoice" in body


def test_detail_hides_clinical_field_values_from_the_assistant(
    page_client, owner, assistant, client_ana, book, workspace
):
    FieldDefinitionFactory(
        workspace=workspace, scope="session", phase="pre", key="complaint", label="Complaint", type="text"
    )
    FieldDefinitionFactory(
        workspace=workspace,
        scope="session",
        phase="pre",
        key="room",
        label="Room",
        type="text",
        clinical=False,
    )
    session = book(client_ana, "2026-03-10T10:00", fields={"pre": {"complaint": "Insomnia", "room": "Blue"}})
    body = page_client(assistant).get(f"{BASE}/{session.pk}/?phase=pre").content.decode()
    assert "Insomnia" not in body and "Complaint" not in body
    assert "Blue" in body
    assert "Insomnia" in page_client(owner).get(f"{BASE}/{session.pk}/?phase=pre").content.decode()


def test_status_actions_follow_the_workflow_and_are_kept(page_client, owner, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00")
    http = page_client(owner)
    http.post(f"{BASE}/{session.pk}/status/", {"status": "in_progress", "version": session.version})
    session.refresh_from_db()
    http.post(f"{BASE}/{session.pk}/status/", {"status": "completed", "version": session.version})
    session.refresh_from_db()
    assert session.status == "completed"
    changes = list(SessionStatusChange.objects.filter(session=session).values_list("to_status", flat=True))
    assert changes[-2:] == ["in_progress", "completed"]
    body = http.get(f"{BASE}/{session.pk}/").content.decode()
    assert "In progress" in body and "Completed" in body


def test_stale_status_change_is_refused_with_a_message(page_client, owner, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00")
    response = page_client(owner).post(
        f"{BASE}/{session.pk}/status/", {"status": "cancelled", "version": session.version + 5}, follow=True
    )
    assert "changed by someone else" in response.content.decode()
    session.refresh_from_db()
    assert session.status == "scheduled"


def test_save_a_phase_alone(page_client, owner, client_ana, book, workspace):
    FieldDefinitionFactory(
        workspace=workspace,
        scope="session",
        phase="during",
        key="mood",
        label="Mood",
        type="text",
        required=True,
    )
    FieldDefinitionFactory(
        workspace=workspace, scope="session", phase="post", key="homework", label="Homework", type="textarea"
    )
    session = book(client_ana, "2026-03-10T10:00")
    http = page_client(owner)
    response = http.post(
        f"{BASE}/{session.pk}/fields/during/", {"version": session.version, "fields.during.mood": ""}
    )
    assert response.status_code == 422
    assert "fields.during.mood" in response.context["phases"][1]["form"].errors
    response = http.post(
        f"{BASE}/{session.pk}/fields/during/", {"version": session.version, "fields.during.mood": "calm"}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    http.post(
        f"{BASE}/{session.pk}/fields/post/",
        {"version": session.version, "fields.post.homework": "Walk daily"},
    )
    session.refresh_from_db()
    assert sealing.open_phase(session, "during") == {"mood": "calm"}
    assert sealing.open_phase(session, "post") == {"homework": "Walk daily"}


def test_unknown_phase_is_404(page_client, owner, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00")
    assert page_client(owner).post(f"{BASE}/{session.pk}/fields/later/", {"version": 1}).status_code == 404


def test_delete_says_what_goes_with_it_then_deletes(page_client, owner, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00")
    http = page_client(owner)
    body = http.get(f"{BASE}/{session.pk}/delete/").content.decode()
    assert "<li>1 session</li>" in body
    response = http.post(f"{BASE}/{session.pk}/delete/")
    assert response.status_code == 302
    assert not Session.objects.filter(pk=session.pk).exists()


def test_delete_following_of_a_series(page_client, owner, client_ana):
    from atendo.scheduling.services import session_create

    first = session_create(
        member=owner,
        client_id=client_ana.pk,
        name="Weekly",
        starts_at="2026-03-10T10:00",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=4"},
    ).session
    second = Session.objects.filter(series_id=first.series_id).order_by("starts_at")[1]
    body = page_client(owner).get(f"{BASE}/{second.pk}/delete/?scope=following").content.decode()
    assert "<li>3 sessions</li>" in body
    page_client(owner).post(f"{BASE}/{second.pk}/delete/", {"scope": "following"})
    assert Session.objects.count() == 1


# --- partials -----------------------------------------------------------------------------------------


def test_client_options_search(page_client, owner, client_ana, client_bia):
    body = page_client(owner).get(f"{BASE}/client-options/?q=bia").content.decode()
    assert "Bia Cliente" in body and "Ana Cliente" not in body


def test_client_sessions_partial_is_chronological(page_client, owner, client_ana, client_bia, book):
    book(client_ana, "2026-03-12T10:00", name="Later")
    book(client_ana, "2026-03-10T10:00", name="Earlier")
    book(client_bia, "2026-03-11T10:00", name="Someone else")
    body = page_client(owner).get(f"{BASE}/client/{client_ana.pk}/").content.decode()
    assert body.index("Earlier") < body.index("Later")
    assert "Someone else" not in body


def test_cancel_this_and_following_of_a_series(page_client, owner, client_ana):
    from atendo.scheduling.services import session_create

    first = session_create(
        member=owner,
        client_id=client_ana.pk,
        name="Weekly",
        starts_at="2026-03-10T10:00",
        recurrence={"rrule": "FREQ=WEEKLY;COUNT=4"},
    ).session
    third = Session.objects.filter(series_id=first.series_id).order_by("starts_at")[2]
    body = page_client(owner).get(f"{BASE}/{third.pk}/").content.decode()
    assert 'name="scope"' in body  # the cancel action asks which sessions of the series
    page_client(owner).post(
        f"{BASE}/{third.pk}/status/", {"status": "cancelled", "version": third.version, "scope": "following"}
    )
    statuses = list(
        Session.objects.filter(client=client_ana).order_by("starts_at").values_list("status", flat=True)
    )
    assert statuses == ["scheduled", "scheduled", "cancelled", "cancelled"]


def test_calendar_page_query_count_does_not_grow_with_clients(
    page_client, owner, workspace, django_assert_max_num_queries
):
    from atendo.clients.models import Client

    Client.objects.bulk_create([Client(workspace=workspace, name=f"C{i}") for i in range(200)])
    http = page_client(owner)
    with django_assert_max_num_queries(15):
        assert http.get(f"{BASE}/").status_code == 200


def test_calendar_knows_each_practitioner_s_own_hours(page_client, owner, therapist):
    therapist.working_hours = {"mon": [["14:00", "20:00"]]}
    therapist.save()
    config = _config(page_client(owner).get(f"{BASE}/"))
    assert config["practitioner_hours"] == {
        str(therapist.pk): [{"daysOfWeek": [1], "startTime": "14:00", "endTime": "20:00"}]
    }


def test_many_clients_get_a_search_box_in_the_filter(page_client, owner, workspace):
    from atendo.clients.models import Client

    http = page_client(owner)
    assert "Search clients by name" not in http.get(f"{BASE}/").content.decode()
    Client.objects.bulk_create([Client(workspace=workspace, name=f"Client {i:03d}") for i in range(305)])
    assert "Search clients by name" in http.get(f"{BASE}/").content.decode()
    body = http.get(f"{BASE}/client-options/?for=filter&q=Client 304").content.decode()
    assert "All clients" in body and "Client 304" in body and "Client 303" not in body


def test_detail_and_client_tab_query_counts_are_bounded(
    page_client, owner, client_ana, book, django_assert_max_num_queries
):
    for day in range(1, 30):
        book(client_ana, f"2026-04-{day:02d}T10:00", name=f"April {day}")
    session = Session.objects.first()
    http = page_client(owner)
    with django_assert_max_num_queries(25):
        assert http.get(f"{BASE}/{session.pk}/").status_code == 200
    with django_assert_max_num_queries(12):
        body = http.get(f"{BASE}/client/{client_ana.pk}/").content.decode()
    assert body.count("April ") == 29


def test_book_the_next_one_prefills_a_week_later(page_client, owner, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00", name="Weekly talk", minutes=50)
    http = page_client(owner)
    body = http.get(f"{BASE}/{session.pk}/").content.decode()
    link = re.search(r'href="([^"]+)">Book the next one<', body).group(1).replace("&amp;", "&")
    form = http.get(link).content.decode()
    assert 'value="2026-03-17"' in form and 'value="10:00"' in form and 'value="50"' in form
    assert 'value="Weekly talk"' in form
    assert f'<option value="{client_ana.pk}" selected>Ana Cliente</option>' in form
