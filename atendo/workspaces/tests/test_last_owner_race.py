"""Two owners demoting each other at the same moment: one wins, the workspace keeps an owner."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from atendo.core.errors import DomainError
from atendo.workspaces.models import Membership, Role
from atendo.workspaces.services import member_add, member_remove, member_update, workspace_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _race(*actions):
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action):
        try:
            barrier.wait(timeout=10)
            action()
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


def _two_owners():
    workspace = workspace_create(name="Race", slug="race", timezone="UTC", owner_email="a@race.test")
    member_add(workspace=workspace, actor=None, email="b@race.test", role_name="Owner")
    a, b = (
        Membership.objects.select_related("workspace", "role", "user").get(user__email=e)
        for e in ("a@race.test", "b@race.test")
    )
    therapist = Role.objects.for_workspace(workspace).get(name="Therapist")
    return workspace, a, b, therapist


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_two_owners_cannot_demote_each_other_at_once(how):
    workspace, a, b, therapist = _two_owners()
    if how == "demote":
        outcomes = _race(
            lambda: member_update(member=a, membership_id=b.pk, role_id=therapist.pk),
            lambda: member_update(member=b, membership_id=a.pk, role_id=therapist.pk),
        )
    else:
        outcomes = _race(
            lambda: member_remove(member=a, membership_id=b.pk),
            lambda: member_remove(member=b, membership_id=a.pk),
        )
    assert outcomes[0] != "ok" or outcomes[1] != "ok"
    assert "ok" in outcomes
    owners = Membership.objects.for_workspace(workspace).filter(is_active=True, role__is_owner=True)
    assert owners.count() == 1
