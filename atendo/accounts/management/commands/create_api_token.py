from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.accounts.services import api_token_create
from atendo.workspaces.models import Membership


class Command(BaseCommand):
    help = "Create an API token for a member; prints the token alone (it is not shown again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="Command-line token")

    def handle(self, *args: Any, **opts: Any) -> None:
        member = (
            Membership.objects.select_related("workspace", "user", "role")
            .filter(workspace__slug=opts["workspace"], user__email=opts["email"].lower(), is_active=True)
            .first()
        )
        if member is None:
            raise CommandError(f"{opts['email']} is not an active member of '{opts['workspace']}'.")
        _token, raw = api_token_create(member=member, name=opts["name"])
        self.stdout.write(raw)
