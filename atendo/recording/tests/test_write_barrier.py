"""Recording obeys the clinical barrier on writes: a member who cannot read a session's therapy
fields can neither erase them (by choosing another therapy type) nor probe them (the answer never
depends on what is stored). Through the API and the record page, for every persona."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from atendo.recording.services import session_record
from atendo.scheduling.models import Session
from tests.factories import (
    ClientFactory,
    FieldDefinitionFactory,
    SessionFactory,
    TherapyTypeFactory,
    unsealed,
)

pytestmark = pytest.mark.django_db

READERS = ["owner", "therapist"]
NON_READERS = ["other_therapist", "assistant"]
PAID = {"take_payment": "on", "pay-status": "paid", "pay-method": "cash"}


@pytest.fixture
def rec(workspace, therapist):
    """Theo's client and two started Reiki sessions of theirs, one recorded with therapy fields by
    Theo; a second type."""
    reiki = TherapyTypeFactory(workspace=workspace, name="Reiki", default_price=Decimal("150.00"))
    massage = TherapyTypeFactory(workspace=workspace, name="Massagem", default_price=Decimal("120.00"))
    FieldDefinitionFactory(
        workspace=workspace, therapy_type=reiki, key="sensations", label="Sensations", type="textarea"
    )
    client = ClientFactory(workspace=workspace, practitioners=[therapist])
    started = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=70)
    full, bare = (
        SessionFactory(
            client=client, practitioner=therapist, therapy_type=reiki, status="in_progress", starts_at=started
        )
        for _ in range(2)
    )
    full = session_record(
        member=therapist,
        session_id=full.pk,
        data={"version": full.version, "therapy_fields": {"sensations": "calor"}},
    ).session
    return {"reiki": reiki, "massage": massage, "full": full, "bare": bare}


def record(api: Any, member: Any, session: Session, **data: Any) -> Any:
    return api(member).post(f"sessions/{session.pk}/record", {"version": session.version, **data})


def _state(session: Session) -> tuple[Any, ...]:
    s = Session.objects.get(pk=session.pk)
    return (s.therapy_type_id, s.therapy_fields, s.version)


@pytest.mark.parametrize("persona", NON_READERS)
@pytest.mark.parametrize("which", ["full", "bare"])
def test_a_non_reader_cannot_change_the_therapy_type_whether_or_not_fields_are_stored(
    api, request, rec, persona, which
):
    """Before: another type and no values wiped the therapy fields the recorder could not see."""
    session = rec[which]
    before = _state(session)
    response = record(api, request.getfixturevalue(persona), session, therapy_type_id=rec["massage"].pk)
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "clinical_forbidden",
        "message": "Changing the therapy type needs read access to this session's clinical content.",
        "fields": [],
    }
    assert _state(session) == before


@pytest.mark.parametrize("persona", NON_READERS)
def test_a_non_reader_records_the_duration_and_keeps_the_therapy_fields(api, request, rec, persona):
    session = rec["full"]
    response = record(
        api,
        request.getfixturevalue(persona),
        session,
        therapy_type_id=rec["reiki"].pk,
        actual_duration_minutes=50,
    )
    assert response.status_code == 200, response.content
    after = Session.objects.get(pk=session.pk)
    assert after.actual_duration_minutes == 50 and unsealed(after, "therapy_fields") == {
        "sensations": "calor"
    }


@pytest.mark.parametrize("persona", NON_READERS)
def test_therapy_fields_from_a_non_reader_are_refused_whatever_they_say(api, request, rec, persona):
    member = request.getfixturevalue(persona)
    session = rec["full"]
    bodies = [
        record(api, member, session, therapy_fields={"sensations": guess}).json()
        for guess in ("calor", "frio")
    ]
    assert bodies[0] == bodies[1] and bodies[0]["error"]["code"] == "clinical_forbidden"
    assert unsealed(session, "therapy_fields") == {"sensations": "calor"}


@pytest.mark.parametrize("persona", READERS)
def test_a_reader_may_change_the_therapy_type(api, request, rec, persona):
    session = rec["full"]
    response = record(api, request.getfixturevalue(persona), session, therapy_type_id=rec["massage"].pk)
    assert response.status_code == 200, response.content
    after = Session.objects.get(pk=session.pk)
    assert after.therapy_type_id == rec["massage"].pk and after.therapy_fields == {}


@pytest.mark.parametrize("persona", NON_READERS)
def test_the_record_page_of_a_non_reader_keeps_the_therapy_type(page_client, request, rec, persona):
    session = rec["full"]
    http = page_client(request.getfixturevalue(persona))
    url = f"/w/serena/sessions/{session.pk}/record/"
    assert re.search(r'<select name="therapy_type"[^>]*\sdisabled[\s>]', http.get(url).content.decode())
    response = http.post(
        url,
        {
            "version": session.version,
            "therapy_type": rec["massage"].pk,
            "actual_duration_minutes": "50",
            **PAID,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    after = Session.objects.get(pk=session.pk)
    assert after.therapy_type_id == rec["reiki"].pk
    assert unsealed(after, "therapy_fields") == {"sensations": "calor"}
    assert after.actual_duration_minutes == 50


@pytest.mark.parametrize("persona", READERS)
def test_the_record_page_of_a_reader_changes_the_therapy_type(page_client, request, rec, persona):
    session = rec["full"]
    response = page_client(request.getfixturevalue(persona)).post(
        f"/w/serena/sessions/{session.pk}/record/",
        {
            "version": session.version,
            "therapy_type": rec["massage"].pk,
            "actual_duration_minutes": "50",
            **PAID,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Session.objects.get(pk=session.pk).therapy_type_id == rec["massage"].pk
