"""A member's default video room (`Membership.video_room_url`): set by the member on their profile
(API `members/me` and the page) or through `members/{id}`; someone else's only with
`members.manage` (the owner); checked as https with a 422 at `video_room_url`; audited."""

from __future__ import annotations

import pytest

from atendo.audit.models import AuditEvent
from atendo.workspaces.models import Membership

pytestmark = pytest.mark.django_db

ROOM = "https://meet.example.com/theo"


def _room(member: Membership) -> str:
    return Membership.objects.get(pk=member.pk).video_room_url


def test_a_member_sets_their_own_room_on_their_profile(api, therapist):
    response = api(therapist).patch("members/me", {"video_room_url": ROOM})
    assert response.status_code == 200, response.content
    assert response.json()["video_room_url"] == ROOM
    assert _room(therapist) == ROOM
    assert api(therapist).get("members/me").json()["video_room_url"] == ROOM
    event = AuditEvent.objects.get(action="member.profile")
    assert event.changes["video_room_url"] == ["", ROOM]
    cleared = api(therapist).patch("members/me", {"video_room_url": ""})
    assert cleared.json()["video_room_url"] == "" and _room(therapist) == ""


def test_a_member_sets_their_own_room_through_members_id(api, therapist):
    response = api(therapist).patch(f"members/{therapist.pk}", {"video_room_url": ROOM})
    assert response.status_code == 200, response.content
    assert response.json()["video_room_url"] == ROOM
    assert _room(therapist) == ROOM


def test_a_therapist_cannot_set_a_colleagues_room(api, therapist, other_therapist):
    response = api(therapist).patch(f"members/{other_therapist.pk}", {"video_room_url": ROOM})
    assert response.status_code == 403, response.content
    assert _room(other_therapist) == ""
    assert not AuditEvent.objects.filter(action="member.update").exists()


def test_an_assistant_cannot_set_a_practitioners_room(api, assistant, therapist):
    response = api(assistant).patch(f"members/{therapist.pk}", {"video_room_url": ROOM})
    assert response.status_code == 403
    assert _room(therapist) == ""


def test_the_owner_sets_anyones_room(api, owner, therapist):
    response = api(owner).patch(f"members/{therapist.pk}", {"video_room_url": ROOM})
    assert response.status_code == 200, response.content
    assert response.json()["video_room_url"] == ROOM
    assert _room(therapist) == ROOM
    event = AuditEvent.objects.get(action="member.update")
    assert event.changes["video_room_url"] == ["", ROOM]
    listed = {m["id"]: m for m in api(owner).get("members").json()["items"]}
    assert listed[therapist.pk]["video_room_url"] == ROOM


def test_an_outsider_cannot_set_a_room(api, outsider, therapist):
    response = api(outsider, "serena").patch(f"members/{therapist.pk}", {"video_room_url": ROOM})
    assert response.status_code in (403, 404)
    assert _room(therapist) == ""


@pytest.mark.parametrize("value", ["http://meet.example.com/theo", "meet.example.com", "https://"])
def test_a_bad_room_is_a_422_at_video_room_url(api, owner, therapist, value):
    for path, who in (("members/me", therapist), (f"members/{therapist.pk}", owner)):
        response = api(who).patch(path, {"video_room_url": value})
        assert response.status_code == 422, (path, response.content)
        assert [f["path"] for f in response.json()["error"]["fields"]] == ["video_room_url"]
    assert _room(therapist) == ""


def test_the_profile_page_saves_the_room(page_client, therapist):
    http = page_client(therapist)
    assert 'name="video_room_url"' in http.get("/w/serena/settings/profile/").content.decode()
    response = http.post("/w/serena/settings/profile/", {"name": "Theo Therapist", "video_room_url": ROOM})
    assert response.status_code == 302
    assert _room(therapist) == ROOM
    assert f'value="{ROOM}"' in http.get("/w/serena/settings/profile/").content.decode()


def test_the_profile_page_shows_a_bad_room_next_to_its_field(page_client, therapist):
    response = page_client(therapist).post(
        "/w/serena/settings/profile/", {"name": "Theo", "video_room_url": "http://meet.example.com/"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["video_room_url"] == ["A video link must start with https://."]
    assert _room(therapist) == ""


def test_the_owner_sets_a_members_room_on_the_members_pages(page_client, owner, therapist):
    http = page_client(owner)
    members = http.get("/w/serena/settings/members/").content.decode()
    page = f"/w/serena/settings/members/{therapist.pk}/video-room/"
    assert page in members
    assert http.get(page).status_code == 200
    response = http.post(page, {"video_room_url": ROOM})
    assert response.status_code == 302
    assert _room(therapist) == ROOM
    bad = http.post(page, {"video_room_url": "ftp://x.example/"})
    assert bad.status_code == 422
    assert _room(therapist) == ROOM


def test_a_therapist_cannot_open_a_colleagues_room_page(page_client, therapist, other_therapist):
    page = f"/w/serena/settings/members/{other_therapist.pk}/video-room/"
    http = page_client(therapist)
    assert http.get(page).status_code == 403
    assert http.post(page, {"video_room_url": ROOM}).status_code == 403
    assert _room(other_therapist) == ""


def test_another_workspaces_member_is_404_on_the_room_page(page_client, owner, outsider):
    response = page_client(owner).get(f"/w/serena/settings/members/{outsider.pk}/video-room/")
    assert response.status_code == 404
