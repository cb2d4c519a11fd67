"""Small builders for tests of billing, recording and evaluations (plain functions, no fixtures),
so tests in several apps can share them without a shared conftest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from atendo.clients.clinical import assign_practitioner
from atendo.clients.models import Client
from atendo.scheduling.models import Session
from atendo.therapies.models import TherapyType
from atendo.workspaces.models import Membership


def make_client(member: Membership, name: str = "Maria Silva", *, assign: Membership | None = None) -> Client:
    client = Client.objects.create(workspace=member.workspace, name=name, email="maria@example.com")
    if assign is not None:
        assign_practitioner(client_id=client.pk, member=assign)
    return client


def make_therapy_type(
    member: Membership, name: str = "Reiki", price: str | None = "150.00", **kw: Any
) -> TherapyType:
    return TherapyType.objects.create(
        workspace=member.workspace,
        name=name,
        default_price=Decimal(price) if price is not None else None,
        default_duration_minutes=kw.pop("duration", 60),
        **kw,
    )


def make_session(
    client: Client,
    practitioner: Membership,
    *,
    therapy_type: TherapyType | None = None,
    starts_at: dt.datetime | None = None,
    days_ago: int = 1,
    status: str = "completed",
    duration: int = 60,
    name: str = "Sessão",
    **kw: Any,
) -> Session:
    start = starts_at or (timezone.now() - dt.timedelta(days=days_ago)).replace(microsecond=0)
    return Session.objects.create(
        workspace_id=client.workspace_id,
        name=name,
        client=client,
        practitioner=practitioner,
        therapy_type=therapy_type,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=duration),
        duration_minutes=duration,
        status=status,
        **kw,
    )
