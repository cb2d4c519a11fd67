"""The corpus practice: Marina (Portuguese notes) and Daniel (English notes), both the therapist's
clients, built through the services (tests.factories), with a post-session `anxiety` scale, a
homework field, a follow-up date, evaluations and payments (the last session left unpaid)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from atendo.clients.models import Client
from atendo.insights.tests import corpus
from atendo.scheduling.models import Session
from atendo.workspaces.models import Membership
from tests.factories import (
    ClientFactory,
    EvaluationFactory,
    FieldDefinitionFactory,
    PaymentFactory,
    SessionFactory,
)


@dataclass
class Practice:
    marina: Client
    daniel: Client
    sessions: dict[str, list[Session]] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)  # session id -> its notes
    upcoming: dict[str, Session] = field(default_factory=dict)


def version_of(session: Session) -> int:
    return Session.objects.values_list("version", flat=True).get(pk=session.pk)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def _build(
    client: Client, therapist: Membership, rows: list[tuple[Any, ...]], first: dt.datetime
) -> list[Session]:
    out = []
    last = len(rows) - 1
    for i, (days, status, notes, anxiety, homework) in enumerate(rows):
        post: dict[str, Any] = {}
        if anxiety is not None:
            post["anxiety"] = anxiety
        if homework:
            post["homework"] = homework
        if i == last:
            post["next_review"] = (timezone.now() + dt.timedelta(days=20)).date().isoformat()
        session = SessionFactory(
            client=client,
            practitioner=therapist,
            starts_at=first + dt.timedelta(days=days),
            status=status,
            notes=notes,
            post=post or None,
        )
        out.append(session)
    return out


@pytest.fixture
def practice(workspace: Any, owner: Membership, therapist: Membership) -> Practice:
    FieldDefinitionFactory(
        workspace=workspace,
        scope="session",
        phase="post",
        key="anxiety",
        label="Ansiedade (0–10)",
        type="number",
        validation={"min": 0, "max": 10},
    )
    FieldDefinitionFactory(
        workspace=workspace,
        scope="session",
        phase="post",
        key="homework",
        label="Tarefa de casa",
        type="textarea",
    )
    FieldDefinitionFactory(
        workspace=workspace,
        scope="session",
        phase="post",
        key="next_review",
        label="Reavaliação",
        type="date",
    )
    FieldDefinitionFactory(workspace=workspace, scope="evaluation", key="phq9", label="PHQ-9", type="number")
    marina = ClientFactory(workspace=workspace, name="Marina Souza", practitioners=[therapist])
    daniel = ClientFactory(workspace=workspace, name="Daniel Brooks", practitioners=[therapist])
    start = timezone.now().replace(hour=13, minute=0, second=0, microsecond=0) - dt.timedelta(days=70)
    practice = Practice(marina, daniel)
    practice.sessions["marina"] = _build(marina, therapist, corpus.MARINA, start)
    practice.sessions["daniel"] = _build(daniel, therapist, corpus.DANIEL, start + dt.timedelta(days=20))
    for name, rows in (("marina", corpus.MARINA), ("daniel", corpus.DANIEL)):
        sessions = practice.sessions[name]
        # The plaintext as written (the stored notes are sealed: clinical.crypto).
        practice.notes.update({s.pk: row[2] for s, row in zip(sessions, rows, strict=True)})
        completed = [s for s in sessions if s.status == "completed"]
        for s in completed[:-1]:
            PaymentFactory(session=s, status="paid", method="pix", amount="200.00")
        PaymentFactory(session=completed[-1], status="pending", amount="200.00")
    first, last = practice.sessions["marina"][0], practice.sessions["marina"][-1]
    EvaluationFactory(
        client=marina,
        session=first,
        title="PHQ-9 inicial",
        date=first.starts_at.date().isoformat(),
        values={"phq9": 15},
    )
    EvaluationFactory(
        client=marina,
        session=last,
        title="PHQ-9 de controle",
        date=last.starts_at.date().isoformat(),
        values={"phq9": 6},
    )
    for name, client in (("marina", marina), ("daniel", daniel)):
        practice.upcoming[name] = SessionFactory(
            client=client, practitioner=therapist, starts_at=timezone.now() + dt.timedelta(days=3)
        )
    return practice
