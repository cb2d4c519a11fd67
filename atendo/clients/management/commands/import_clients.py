"""`manage.py import_clients --workspace S --file F [--email E] [--mapping JSON] [--dry-run]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.clients import importing
from atendo.core.errors import DomainError
from atendo.workspaces.models import Membership


class Command(BaseCommand):
    help = (
        "Import clients from a CSV file (the same checks as the page and the API; all rows or none). "
        "Acts as --email, by default the workspace's first owner."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True)
        parser.add_argument("--file", required=True)
        parser.add_argument("--email", help="The member the import acts as (default: the first owner).")
        parser.add_argument(
            "--mapping", help='JSON {"<column title>": "name"|"email"|...}; default: from the titles.'
        )
        parser.add_argument("--dry-run", action="store_true", help="Check every row; write nothing.")

    def handle(self, *args: Any, **opts: Any) -> None:
        members = Membership.objects.select_related("workspace", "user", "role").filter(
            workspace__slug=opts["workspace"], is_active=True
        )
        if opts["email"]:
            member = members.filter(user__email=opts["email"].lower()).first()
        else:
            member = members.filter(role__is_owner=True).order_by("pk").first()
        if member is None:
            raise CommandError(f"No such active member of '{opts['workspace']}'.")
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > importing.MAX_BYTES:
            raise CommandError(f"The file is larger than {importing.MAX_BYTES // (1024 * 1024)} MB.")
        try:
            mapping = json.loads(opts["mapping"]) if opts["mapping"] else None
        except ValueError as exc:
            raise CommandError(f"--mapping is not valid JSON: {exc}") from None
        try:
            report = importing.clients_import(
                member=member, raw=path.read_bytes(), mapping=mapping, dry_run=opts["dry_run"]
            )
        except DomainError as exc:
            self._errors(exc.extra.get("errors") or [], exc.extra.get("skipped") or [])
            for field in exc.fields if not exc.extra.get("errors") else []:
                self.stderr.write(f"{field.path}: {field.message}")
            raise CommandError(exc.message) from None
        for header, key in report.mapping.items():
            self.stdout.write(f"{header} -> {key}")
        self._errors(report.errors, report.skipped)
        verb = "would be created" if report.dry_run else "created"
        self.stdout.write(
            f"{report.rows} rows: {report.created} clients {verb}, {len(report.skipped)} skipped, "
            f"{len({e['row'] for e in report.errors})} with errors."
        )
        if report.dry_run and report.errors:
            raise CommandError("Some rows have errors; nothing would be imported.")

    def _errors(self, errors: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> None:
        for item in skipped:
            self.stdout.write(
                f"row {item['row']} skipped ({item['column'] or item['path']}): {item['message']}"
            )
        for item in errors:
            where = item["column"] or item["path"]
            self.stderr.write(f"row {item['row']}, {where}: {item['message']}")
