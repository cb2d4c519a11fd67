"""`manage.py seed_demo`: the demo workspace, made once, by every app's own `demo.seed(ctx)` in turn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from atendo.billing import demo as billing_demo
from atendo.clients import demo as clients_demo
from atendo.fields import demo as fields_demo
from atendo.scheduling import demo as scheduling_demo
from atendo.therapies import demo as therapies_demo
from atendo.workspaces.models import Membership, Workspace
from atendo.workspaces.services import member_add, workspace_create

DEMO_SLUG = "demo"
DEMO_PASSWORD = "atendo-demo"
# Each step gets ctx (the workspace, the members, and what earlier steps made) and may add to it;
# the order matters: fields need therapy types, sessions need clients, payments need sessions.
STEPS: list[Callable[[dict[str, Any]], None]] = [
    therapies_demo.seed,
    fields_demo.seed,
    clients_demo.seed,
    scheduling_demo.seed,
    billing_demo.seed,
]


class Command(BaseCommand):
    help = "Create the demo workspace once (slug 'demo'); running it again changes nothing."

    def handle(self, *args: Any, **opts: Any) -> None:
        if Workspace.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write("The demo workspace already exists.")
            return
        with transaction.atomic():
            workspace = workspace_create(
                name="Espaço Atendo (demo)",
                slug=DEMO_SLUG,
                timezone="America/Sao_Paulo",
                owner_email="owner@example.com",
                owner_password=DEMO_PASSWORD,
                currency="BRL",
            )
            owner = workspace_membership(workspace, "owner@example.com")
            owner.user.name = "Olivia Owner"
            owner.user.save(update_fields=["name"])
            ctx: dict[str, Any] = {
                "workspace": workspace,
                "owner": owner,
                "therapist": member_add(
                    workspace=workspace,
                    actor=None,
                    email="therapist@example.com",
                    role_name="Therapist",
                    password=DEMO_PASSWORD,
                    name="Theo Therapist",
                ),
                "assistant": member_add(
                    workspace=workspace,
                    actor=None,
                    email="assistant@example.com",
                    role_name="Assistant",
                    password=DEMO_PASSWORD,
                    name="Ana Assistant",
                ),
            }
            for step in STEPS:
                step(ctx)
        self.stdout.write("Created the demo workspace 'demo'.")


def workspace_membership(workspace: Workspace, email: str) -> Membership:
    return Membership.objects.select_related("user", "role", "workspace").get(
        workspace=workspace, user__email=email
    )
