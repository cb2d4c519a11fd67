"""`manage.py import_clients --workspace S --file F [--email E] [--mapping JSON] [--sheet NAME]
[--on-duplicate skip|merge|create] [--duplicates JSON] [--dry-run]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from atendo.clients import importing, merging
from atendo.core.errors import DomainError
from atendo.workspaces.models import Membership


class Command(BaseCommand):
    help = (
        "Import clients from a CSV or XLSX file (the same checks as the page and the API; all rows "
        "or none). "
        "Acts as --email, by default the workspace's first owner."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True)
        parser.add_argument("--file", required=True)
        parser.add_argument("--email", help="The member the import acts as (default: the first owner).")
        parser.add_argument(
            "--mapping", help='JSON {"<column title>": "name"|"email"|...}; default: from the titles.'
        )
        parser.add_argument("--sheet", help="The workbook's sheet to read (default: the first).")
        parser.add_argument(
            "--on-duplicate",
            choices=merging.ACTIONS,
            default="skip",
            help="What to do with a row matching a client by e-mail, phone or tax id (default: skip).",
        )
        parser.add_argument("--duplicates", help='JSON {"<row>": "skip"|"merge"|"create"}: a choice per row.')
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
        mapping = self._json(opts, "mapping")
        try:
            report = importing.clients_import(
                member=member,
                raw=path.read_bytes(),
                mapping=mapping,
                dry_run=opts["dry_run"],
                sheet=opts["sheet"],
                on_duplicate=opts["on_duplicate"],
                duplicates=self._json(opts, "duplicates"),
            )
        except DomainError as exc:
            self._errors(exc.extra.get("errors") or [], exc.extra.get("duplicates") or [])
            for field in exc.fields if not exc.extra.get("errors") else []:
                self.stderr.write(f"{field.path}: {field.message}")
            raise CommandError(exc.message) from None
        for header, key in report.mapping.items():
            self.stdout.write(f"{header} -> {key}")
        self._errors(report.errors, report.duplicates)
        created, merged = ("would be created", "would be merged") if report.dry_run else ("created", "merged")
        self.stdout.write(
            f"{report.rows} rows: {report.created} clients {created}, {report.merged} {merged}, "
            f"{len(report.skipped)} skipped, {len({e['row'] for e in report.errors})} with errors."
        )
        if report.dry_run and report.errors:
            raise CommandError("Some rows have errors; nothing would be imported.")

    def _json(self, opts: dict[str, Any], name: str) -> Any:
        try:
            return json.loads(opts[name]) if opts[name] else None
        except ValueError as exc:
            raise CommandError(f"--{name} is not valid JSON: {exc}") from None

    def _errors(self, errors: list[dict[str, Any]], duplicates: list[dict[str, Any]]) -> None:
        done = {"skip": "skipped", "merge": "merged", "create": "created anyway"}
        for item in duplicates:
            target = f" (client {item['client_id']}, {item['client_name']})" if item.get("client_id") else ""
            self.stdout.write(
                f"row {item['row']} {done.get(item.get('action', 'skip'), 'skipped')}"
                f" ({item['column'] or item['path']}): {item['message']}{target}"
            )
            for conflict in item.get("conflicts") or []:
                existing = (
                    conflict["existing"] if conflict["existing"] is not None else "(clinical, not shown)"
                )
                where = conflict["column"] or conflict["path"]
                self.stdout.write(f"  {where}: kept {existing!r}, file has {conflict['file']!r}")
        for item in errors:
            where = item["column"] or item["path"]
            self.stderr.write(f"row {item['row']}, {where}: {item['message']}")
