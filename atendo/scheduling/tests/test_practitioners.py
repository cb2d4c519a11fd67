"""Members who offer sessions are the practitioners: pickers, filters, the free-slot finder, and
the service (a session's practitioner must offer sessions; an assistant's booking names one)."""

from __future__ import annotations

import pytest

from atendo.core.errors import ValidationFailed
from atendo.scheduling.models import Session
from atendo.scheduling.services import session_create, session_update
from atendo.workspaces.models import Membership, Role
from atendo.workspaces.services import member_add, member_update

pytestmark = pytest.mark.django_db


def test_owner_and_therapist_offer_sessions_and_the_assistant_does_not(owner, therapist, assistant):
    assert (owner.offers_sessions, therapist.offers_sessions, assistant.offers_sessions) == (
        True,
        True,
        False,
    )


def test_a_custom_role_without_clinical_access_does_not_offer_sessions(owner, workspace):
    Role.objects.create(workspace=workspace, name="Front desk", permissions=["session.read", "client.read"])
    desk = member_add(workspace=workspace, actor=owner, email="desk@serena.test", role_name="Front desk")
    coach = member_add(
        workspace=workspace,
        actor=owner,
        email="coach@serena.test",
        role_name="Front desk",
        offers_sessions=True,
    )
    assert (desk.offers_sessions, coach.offers_sessions) == (False, True)


def test_an_assistant_booking_must_name_the_practitioner(assistant, therapist, client_ana):
    with pytest.raises(ValidationFailed) as info:
        session_create(member=assistant, client_id=client_ana.pk, name="Sessão", starts_at="2026-03-10T10:00")
    assert [f.path for f in info.value.fields] == ["practitioner_id"]
    assert "does not offer sessions" in info.value.fields[0].message
    saved = session_create(
        member=assistant,
        client_id=client_ana.pk,
        practitioner_id=therapist.pk,
        name="Sessão",
        starts_at="2026-03-10T10:00",
    ).session
    assert saved.practitioner_id == therapist.pk


def test_a_practitioner_who_does_not_offer_sessions_is_refused(owner, assistant, client_ana, book):
    with pytest.raises(ValidationFailed) as info:
        session_create(
            member=owner,
            client_id=client_ana.pk,
            practitioner_id=assistant.pk,
            name="Sessão",
            starts_at="2026-03-10T10:00",
        )
    assert info.value.fields[0].path == "practitioner_id"
    session = book(client_ana, "2026-03-11T10:00")
    with pytest.raises(ValidationFailed):
        session_update(
            member=owner,
            session_id=session.pk,
            version=session.version,
            changes={"practitioner_id": assistant.pk},
        )
    assert Session.objects.get(pk=session.pk).practitioner_id == owner.pk


def test_a_session_keeps_a_practitioner_who_stopped_offering_sessions(owner, therapist, client_ana, book):
    session = book(client_ana, "2026-03-10T10:00", practitioner_id=therapist.pk)
    member_update(member=owner, membership_id=therapist.pk, offers_sessions=False)
    result = session_update(
        member=owner, session_id=session.pk, version=session.version, changes={"name": "Nova"}
    )
    assert (result.session.name, result.session.practitioner_id) == ("Nova", therapist.pk)


def test_api_members_carry_offers_sessions_and_only_managers_change_it(api, owner, therapist, assistant):
    body = api(owner).get("members").json()
    flags = {m["email"]: m["offers_sessions"] for m in body["items"]}
    assert flags == {"owner@serena.test": True, "therapist@serena.test": True, "assistant@serena.test": False}
    assert api(therapist).patch(f"members/{therapist.pk}", {"offers_sessions": False}).status_code == 403
    answer = api(owner).patch(f"members/{assistant.pk}", {"offers_sessions": True})
    assert answer.status_code == 200 and answer.json()["offers_sessions"] is True
    bad = api(owner).patch(f"members/{assistant.pk}", {"offers_sessions": "maybe"})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["path"] == "offers_sessions"


def test_adding_a_member_defaults_from_the_role_and_a_choice_wins(owner, workspace):
    new = member_add(workspace=workspace, actor=owner, email="new@serena.test", role_name="Assistant")
    chosen = member_add(
        workspace=workspace,
        actor=owner,
        email="new2@serena.test",
        role_name="Therapist",
        offers_sessions=False,
    )
    assert (new.offers_sessions, chosen.offers_sessions) == (False, False)
    again = member_add(workspace=workspace, actor=owner, email="new2@serena.test", role_name="Therapist")
    assert again.offers_sessions is False  # a returning member keeps theirs


def test_api_assistant_booking_without_practitioner_is_a_422(api, assistant, therapist, client_ana):
    answer = api(assistant).post(
        "sessions",
        {"name": "Sessão", "client_id": client_ana.pk, "date": "2026-03-10", "start_time": "10:00"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["path"] == "practitioner_id"


def test_the_free_slot_finder_refuses_a_member_who_does_not_offer_sessions(api, owner, assistant):
    answer = api(owner).get(
        "availability", practitioner_id=assistant.pk, duration=60, start="2026-03-10", end="2026-03-11"
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["path"] == "practitioner_id"


def test_pickers_offer_practitioners_only(page_client, owner, therapist, assistant, client_ana, book):
    page = page_client(owner).get("/w/serena/sessions/new/").content.decode()
    assert "Theo Therapist" in page and "Ana Assistant" not in page
    calendar = page_client(owner).get("/w/serena/sessions/").content.decode()
    assert calendar.count("Theo Therapist") >= 2  # the filter, the free-slot finder, the dialog
    assert "Ana Assistant" not in calendar


def test_the_assistant_s_new_session_form_asks_for_the_practitioner(page_client, assistant, therapist):
    page = page_client(assistant).get("/w/serena/sessions/new/").content.decode()
    assert '<option value="" selected>Choose the practitioner…</option>' in page


def test_an_edit_form_keeps_a_practitioner_who_stopped_offering_sessions(
    page_client, owner, therapist, client_ana, book
):
    session = book(client_ana, "2026-03-10T10:00", practitioner_id=therapist.pk)
    Membership.objects.filter(pk=therapist.pk).update(offers_sessions=False)
    page = page_client(owner).get(f"/w/serena/sessions/{session.pk}/edit/").content.decode()
    assert f'<option value="{therapist.pk}" selected>Theo Therapist</option>' in page
