"""The client record as a readable PDF (fpdf2), in the language the member asked in: the profile
with its fields, every session (date, practitioner, service, status, notes, the values of each
phase and the therapy-specific fields, the signature and addenda), evaluations, payments, invoices
and the list of attachments — what this reader may read, with what was left out said on the first
page. Values are shown with their fields' labels (choices by their label, team members and files
by their names, dates in the reader's format).

fpdf2 keeps the document in memory until it is written: its size grows with the record's text
(a 500-session record is a few MB; `make bench` measures the worker's peak).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from atendo.billing.models import PaymentMethod, PaymentStatus
from atendo.core.formats import format_date, format_datetime, format_money, format_number
from atendo.core.pdf import BRAND, MUTED, Document
from atendo.exports.client.record import PARTS, Record
from atendo.fields.engine import Spec
from atendo.fields.models import FieldDefinition, Scope
from atendo.files.selectors import attachment_name
from atendo.scheduling.models import SessionStatus

LINE = (221, 226, 232)
PHASE_TITLES = {
    "pre": gettext_lazy("Before the session"),
    "during": gettext_lazy("During the session"),
    "post": gettext_lazy("After the session"),
}


class RecordPDF(Document):
    def __init__(self, footer_text: str) -> None:
        super().__init__()
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.body_font, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.text_of(self.footer_text), align="L")
        self.cell(0, 5, self.text_of(f"{self.page_no()}/{{nb}}"), align="R")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        if self.get_y() > self.h - 50:
            self.add_page()
        self.ln(3)
        self.set_font(self.body_font, "B", 13)
        self.set_text_color(*BRAND)
        self.cell(0, 8, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*LINE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)
        self.set_text_color(0, 0, 0)

    def subheading(self, text: str) -> None:
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(1.5)
        self.set_font(self.body_font, "B", 10.5)
        self.multi_cell(0, 5.5, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def body(self, text: str, size: float = 9.5, style: str = "", muted: bool = False) -> None:
        self.set_font(self.body_font, style, size)
        if muted:
            self.set_text_color(*MUTED)
        self.multi_cell(0, 4.8, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def pair(self, label: str, value: str, indent: float = 0) -> None:
        """`label: value`, the label bold, wrapped within the page."""
        self.set_x(self.l_margin + indent)
        self.set_font(self.body_font, "B", 9)
        width = self.w - self.r_margin - self.l_margin - indent
        label_text = self.text_of(f"{label}: ")
        label_width = min(self.get_string_width(label_text) + 1, width * 0.45)
        y = self.get_y()
        self.multi_cell(label_width, 4.8, label_text, new_x="RIGHT", new_y="TOP")
        self.set_font(self.body_font, "", 9)
        self.set_xy(self.l_margin + indent + label_width, y)
        self.multi_cell(width - label_width, 4.8, self.text_of(value), new_x="LMARGIN", new_y="NEXT")


class Values:
    """Field values as lines a person reads, with their definitions' labels."""

    def __init__(self, record: Record):
        self.record = record
        self.names = record.member_names()
        self.files = {a.pk: attachment_name(a) for a in record.attachments()}
        tz = record.workspace.tz
        self.tz = tz

    def specs(self, definitions: Iterable[FieldDefinition]) -> dict[str, Spec]:
        return {d.key: Spec.from_definition(d) for d in definitions}

    def text(self, spec: Spec | None, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        kind = spec.type if spec else ""
        if kind == "boolean" or isinstance(value, bool):
            return _("Yes") if value else _("No")
        if kind in ("select", "multi_select") and spec is not None:
            labels = {v: label for v, label, _retired in spec.options}
            chosen = value if isinstance(value, list) else [value]
            return ", ".join(labels.get(str(v), str(v)) for v in chosen)
        if kind == "team_member":
            return self.names.get(value, f"#{value}") if isinstance(value, int) else str(value)
        if kind in ("image", "file", "signature"):
            ids = value if isinstance(value, list) else [value]
            return ", ".join(self.files.get(i, _("file #%(id)s") % {"id": i}) for i in ids)
        if kind == "date" and isinstance(value, str):
            try:
                return format_date(dt.date.fromisoformat(value))
            except ValueError:
                return value
        if kind == "datetime" and isinstance(value, str):
            try:
                return format_datetime(dt.datetime.fromisoformat(value), tz=self.tz)
            except ValueError:
                return value
        if kind == "number" and isinstance(value, int | float):
            decimals = 0 if float(value).is_integer() else 2
            return format_number(value, decimals)
        return str(value)

    def lines(
        self, specs: Mapping[str, Spec], values: Mapping[str, Any], depth: int = 0
    ) -> list[tuple[int, str, str]]:
        """(depth, label, text) for each value, nested values indented under their field."""
        out: list[tuple[int, str, str]] = []
        for key, value in values.items():
            spec = specs.get(key)
            label = spec.label if spec else key
            if isinstance(value, dict) and (spec is None or spec.type == "object"):
                out.append((depth, label, ""))
                children = {c.key: c for c in spec.children} if spec else {}
                out += self.lines(children, value, depth + 1)
            elif isinstance(value, list) and spec is not None and spec.type == "array":
                children = {c.key: c for c in spec.children}
                out.append((depth, label, "" if value else "—"))
                for index, item in enumerate(value, start=1):
                    out.append((depth + 1, f"{index}.", ""))
                    if isinstance(item, dict):
                        out += self.lines(children, item, depth + 2)
            else:
                out.append((depth, label, self.text(spec, value)))
        return out


def _moment(value: str | None, tz: Any) -> str:
    return format_datetime(dt.datetime.fromisoformat(value), tz=tz) if value else ""


def write(record: Record, out: IO[bytes]) -> None:
    workspace = record.workspace
    tz = workspace.tz
    client = record.client_json()
    values = Values(record)
    definitions = record.definitions()
    by_scope: dict[tuple[str, str], list[FieldDefinition]] = {}
    therapy: dict[int | None, list[FieldDefinition]] = {}
    for d in definitions:
        if d.scope == Scope.THERAPY_TYPE:
            therapy.setdefault(d.therapy_type_id, []).append(d)
        else:
            by_scope.setdefault((d.scope, d.phase or ""), []).append(d)
    generated = format_datetime(timezone.now(), tz=tz)
    pdf = RecordPDF(
        _("%(practice)s · record of %(client)s · %(when)s")
        % {"practice": workspace.name, "client": client["name"], "when": generated}
    )
    pdf.set_title(_("Client record"))
    pdf.set_creator("Atendo")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(pdf.body_font, "B", 18)
    pdf.cell(0, 10, pdf.text_of(client["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.body(_("Client record · %(practice)s") % {"practice": workspace.name}, size=10.5, muted=True)
    pdf.body(
        _("Exported on %(when)s by %(who)s.") % {"when": generated, "who": record.member.display_name},
        size=9,
        muted=True,
    )
    if record.withheld:
        pdf.ln(2)
        pdf.set_fill_color(254, 243, 242)
        parts = ", ".join(str(PARTS.get(code, code)) for code in sorted(record.withheld))
        pdf.set_font(pdf.body_font, "", 9)
        pdf.multi_cell(
            0,
            5,
            pdf.text_of(_("Left out of this copy for you: %(parts)s.") % {"parts": parts}),
            fill=True,
            new_x="LMARGIN",
            new_y="NEXT",
        )

    # --- profile
    pdf.heading(_("Profile"))
    names = values.names
    pdf.pair(_("E-mail"), client.get("email") or "—")
    pdf.pair(_("Phone"), client.get("phone") or "—")
    birth = client.get("birth_date")
    pdf.pair(_("Birth date"), format_date(dt.date.fromisoformat(birth)) if birth else "—")
    pdf.pair(_("Practitioners"), ", ".join(names.get(i, f"#{i}") for i in client["practitioner_ids"]) or "—")
    if client.get("archived"):
        pdf.pair(_("Archived"), _("Yes"))
    for depth, label, text in values.lines(
        values.specs(by_scope.get((Scope.CLIENT, ""), [])), client["fields"]
    ):
        pdf.pair(label, text, indent=depth * 5)

    # --- sessions
    if record.sees_sessions:
        pdf.heading(_("Sessions"))
        statuses = dict(SessionStatus.choices)
        phase_specs = {
            p: values.specs(by_scope.get((Scope.SESSION, p), [])) for p in ("pre", "during", "post")
        }
        therapy_specs: dict[int | None, dict[str, Spec]] = {}
        count = 0
        for s in record.sessions():
            count += 1
            start = dt.datetime.fromisoformat(s["starts_at"])
            title = " · ".join(
                part
                for part in (
                    format_datetime(start, tz=tz),
                    s.get("therapy_type_name") or "",
                    s["practitioner_name"],
                    str(statuses.get(s["status"], s["status"])),
                )
                if part
            )
            pdf.subheading(title)
            duration = s.get("actual_duration_minutes") or s["duration_minutes"]
            pdf.pair(_("Session"), f"{s['name']} ({duration} min)")
            if s.get("cancellation"):
                cancel = s["cancellation"]
                by = _("the client") if cancel["by"] == "client" else _("the practice")
                late = _(" (late)") if cancel["late"] else ""
                pdf.pair(_("Cancelled by"), f"{by}{late}: {cancel.get('reason') or '—'}")
            if s.get("admin_notes"):
                pdf.pair(_("Admin notes"), s["admin_notes"])
            if s.get("notes"):
                pdf.pair(_("Notes"), s["notes"])
            for phase in ("pre", "during", "post"):
                phase_values = (s.get("fields") or {}).get(phase) or {}
                if phase_values:
                    pdf.body(str(PHASE_TITLES[phase]), size=9, style="B")
                    for depth, label, text in values.lines(phase_specs[phase], phase_values):
                        pdf.pair(label, text, indent=4 + depth * 5)
            if s.get("therapy_fields"):
                type_id = s.get("therapy_type_id")
                if type_id not in therapy_specs:
                    therapy_specs[type_id] = values.specs(therapy.get(type_id, []))
                pdf.body(_("Therapy-specific fields"), size=9, style="B")
                for depth, label, text in values.lines(therapy_specs[type_id], s["therapy_fields"]):
                    pdf.pair(label, text, indent=4 + depth * 5)
            if s.get("signed_at"):
                signer = names.get(s.get("signed_by") or 0, "—")
                pdf.pair(_("Signed"), f"{_moment(s['signed_at'], tz)} · {signer}")
            for addendum in s.get("addenda") or []:
                pdf.pair(
                    _("Addendum %(when)s, %(who)s")
                    % {"when": _moment(addendum["created_at"], tz), "who": addendum["author_name"]},
                    addendum["text"],
                    indent=4,
                )
            if s.get("withheld"):
                pdf.body(_("Withheld: %(parts)s") % {"parts": ", ".join(s["withheld"])}, size=8, muted=True)
        if not count:
            pdf.body(_("No sessions."), muted=True)

    # --- evaluations
    pdf.heading(_("Evaluations"))
    evaluation_specs = values.specs(by_scope.get((Scope.EVALUATION, ""), []))
    evaluations = record.evaluations()
    for e in evaluations:
        who = e.get("performed_by_name") or "—"
        pdf.subheading(
            f"{format_date(dt.date.fromisoformat(e['date']))} · {e['title'] or _('Evaluation')} · {who}"
        )
        for depth, label, text in values.lines(evaluation_specs, e.get("values") or {}):
            pdf.pair(label, text, indent=depth * 5)
    if not evaluations:
        pdf.body(_("No evaluations you may read."), muted=True)

    # --- payments and invoices
    if record.sees_billing:
        pdf.heading(_("Payments"))
        payments = record.payments()
        statuses_pay = dict(PaymentStatus.choices)
        methods = dict(PaymentMethod.choices)
        for p in payments:
            paid = (
                _(", paid %(day)s") % {"day": format_date(dt.date.fromisoformat(p["paid_date"]))}
                if p.get("paid_date")
                else ""
            )
            line = _("%(session)s · due %(due)s · %(amount)s · %(status)s%(paid)s%(method)s") % {
                "session": _moment(p["session_starts_at"], tz),
                "due": format_date(dt.date.fromisoformat(p["due_date"])),
                "amount": format_money(p["amount"], p["currency"]),
                "status": statuses_pay.get(p["status"], p["status"]),
                "paid": paid,
                "method": f" · {methods.get(p['method'], p['method'])}" if p.get("method") else "",
            }
            pdf.body(line, size=9)
        if not payments:
            pdf.body(_("No payments."), muted=True)
        invoices = record.invoices()
        if invoices:
            pdf.heading(_("Invoices"))
            for i in invoices:
                number = i.get("display_number") or _("draft")
                issued = format_date(dt.date.fromisoformat(i["issue_date"])) if i.get("issue_date") else "—"
                pdf.body(
                    f"{number} · {issued} · {format_money(i['total'], i['currency'])} · {i['status']}", size=9
                )

    # --- attachments
    pdf.heading(_("Attachments"))
    attachments = record.attachments_json()
    for a in attachments:
        created = dt.datetime.fromisoformat(a["created_at"])
        size = format_number(a["size"] / 1024, 0) + " KB"
        pdf.body(f"{a['original_name']} · {format_date(created, tz=tz)} · {size} · {a['path']}", size=9)
    if not attachments:
        pdf.body(_("No attachments you may open."), muted=True)
    out.write(bytes(pdf.output()))
