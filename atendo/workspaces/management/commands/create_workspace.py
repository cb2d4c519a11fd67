from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.core.errors import DomainError
from atendo.workspaces.services import workspace_create


class Command(BaseCommand):
    help = "Create a workspace with the default roles and its owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--owner", required=True, help="The owner's e-mail address.")
        parser.add_argument("--password", default=None)
        parser.add_argument("--currency", default="BRL")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            workspace = workspace_create(
                name=opts["name"],
                slug=opts["slug"],
                timezone=opts["timezone"],
                owner_email=opts["owner"],
                owner_password=opts["password"],
                currency=opts["currency"],
            )
        except DomainError as exc:
            raise CommandError(_describe(exc)) from None
        self.stdout.write(f"Created workspace '{workspace.slug}' owned by {opts['owner']}.")


def _describe(exc: DomainError) -> str:
    if exc.fields:
        return "; ".join(f"{f.path}: {f.message}" for f in exc.fields)
    return exc.message
