from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.core.errors import DomainError
from atendo.workspaces.management.commands.create_workspace import _describe
from atendo.workspaces.models import Workspace
from atendo.workspaces.services import member_add


class Command(BaseCommand):
    help = "Add a user (created if needed) to a workspace with a role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="The workspace slug.")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, help="Owner, Therapist, Assistant or a custom role.")
        parser.add_argument("--password", default=None)
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        workspace = Workspace.objects.filter(slug=opts["workspace"]).first()
        if workspace is None:
            raise CommandError(f"No workspace with slug '{opts['workspace']}'.")
        try:
            member_add(
                workspace=workspace,
                actor=None,
                email=opts["email"],
                role_name=opts["role"],
                password=opts["password"],
                name=opts["name"],
            )
        except DomainError as exc:
            raise CommandError(_describe(exc)) from None
        self.stdout.write(f"{opts['email']} is now {opts['role']} in '{workspace.slug}'.")
