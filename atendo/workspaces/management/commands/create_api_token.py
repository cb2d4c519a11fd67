from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.accounts.signin import SENSITIVE_SCOPE
from atendo.workspaces.models import Membership
from atendo.workspaces.tokens import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a member; prints the token alone (it is not shown again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="Command-line token")
        parser.add_argument(
            "--sensitive",
            action="store_true",
            help="Let the token do sensitive acts (role changes, assigning practitioners, full exports).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        member = (
            Membership.objects.select_related("workspace", "user", "role")
            .filter(workspace__slug=opts["workspace"], user__email=opts["email"].lower(), is_active=True)
            .first()
        )
        if member is None:
            raise CommandError(f"{opts['email']} is not an active member of '{opts['workspace']}'.")
        scopes = [SENSITIVE_SCOPE] if opts["sensitive"] else []
        _token, raw = api_token_create(member=member, name=opts["name"], scopes=scopes)
        self.stdout.write(raw)
