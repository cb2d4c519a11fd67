"""The progress report: the client's insights over a period, as a page (views) and as a PDF (here).

Same content as `selectors.client_insights` (so the same barrier: a member who may not read the
client's clinical content gets a report of attendance only, saying what was withheld), in the
reader's language: the summary quoted from the notes with the date of each session, the recurring
themes, each trend as a line chart drawn with fpdf2, attendance, and the evaluations. The file is
named after the client's id, never a clinical title.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from atendo.clients.selectors import client_get_for
from atendo.core.formats import format_date, format_number
from atendo.core.pdf import BRAND, MUTED, Document
from atendo.insights.selectors import client_insights
from atendo.workspaces.models import Membership

LINE = (221, 226, 232)


def report_context(
    member: Membership, client_id: int, *, start: Any = None, end: Any = None
) -> dict[str, Any]:
    """What the page and the PDF show."""
    insights = client_insights(member, client_id, start=start, end=end)
    client = client_get_for(member, client_id)
    return {"client": client, "insights": insights, "generated": timezone.now()}


def direction_label(direction: str) -> str:
    return {"up": _("rising"), "down": _("falling"), "flat": _("steady")}.get(direction, direction)


def period_label(insights: dict[str, Any]) -> str:
    start = dt.date.fromisoformat(insights["start"]) if insights["start"] else None
    end = dt.date.fromisoformat(insights["end"]) if insights["end"] else None
    if start and end:
        return _("%(start)s to %(end)s") % {"start": format_date(start), "end": format_date(end)}
    if start:
        return _("from %(start)s") % {"start": format_date(start)}
    if end:
        return _("until %(end)s") % {"end": format_date(end)}
    return _("the whole record")


class _ReportPDF(Document):
    def __init__(self) -> None:
        super().__init__()
        self.footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.body_font, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.text_of(self.footer_text), align="L")
        self.cell(0, 5, self.text_of(f"{self.page_no()}/{{nb}}"), align="R")

    def heading(self, text: str) -> None:
        if self.get_y() > self.h - 50:
            self.add_page()
        self.ln(3)
        self.set_font(self.body_font, "B", 12)
        self.set_text_color(*BRAND)
        self.cell(0, 8, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*LINE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)
        self.set_text_color(0, 0, 0)

    def body(self, text: str, size: float = 9.5, style: str = "") -> None:
        self.set_font(self.body_font, style, size)
        self.multi_cell(0, 5, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def chart(self, trend: dict[str, Any], width: float, height: float = 38) -> None:
        """A line chart of the trend's points: value axis with its range, one mark per session."""
        points = trend["points"]
        if self.get_y() + height + 14 > self.h - 20:
            self.add_page()
        self.set_font(self.body_font, "B", 9.5)
        change = format_number(trend["change"], 1)
        title = f"{trend['label']} — {direction_label(trend['direction'])} ({change})"
        self.cell(0, 6, self.text_of(title), new_x="LMARGIN", new_y="NEXT")
        x0, y0 = self.l_margin + 12, self.get_y() + 2
        w, h = width - 14, height
        values = [p["value"] for p in points]
        low, high = min(values), max(values)
        if high == low:
            low, high = low - 1, high + 1
        self.set_draw_color(*LINE)
        self.set_line_width(0.2)
        self.rect(x0, y0, w, h)
        self.set_font(self.body_font, "", 7)
        self.set_text_color(*MUTED)
        for value, y in ((high, y0), (low, y0 + h)):
            self.set_xy(self.l_margin, y - 2)
            self.cell(11, 4, self.text_of(format_number(value, 1)), align="R")
        n = len(points)
        coords = [
            (x0 + (w * i / (n - 1) if n > 1 else w / 2), y0 + h - (p["value"] - low) / (high - low) * h)
            for i, p in enumerate(points)
        ]
        self.set_draw_color(*BRAND)
        self.set_line_width(0.6)
        for (xa, ya), (xb, yb) in pairwise(coords):
            self.line(xa, ya, xb, yb)
        self.set_fill_color(*BRAND)
        for x, y in coords:
            self.ellipse(x - 0.9, y - 0.9, 1.8, 1.8, style="F")
        for i in sorted({0, n - 1}):
            day = format_date(dt.date.fromisoformat(points[i]["date"]))
            self.set_xy(coords[i][0] - 12, y0 + h + 0.5)
            self.cell(24, 4, self.text_of(day), align="C")
        self.set_text_color(0, 0, 0)
        self.set_xy(self.l_margin, y0 + h + 6)


def report_pdf(member: Membership, client_id: int, *, start: Any = None, end: Any = None) -> bytes:
    context = report_context(member, client_id, start=start, end=end)
    insights = context["insights"]
    client = context["client"]
    pdf = _ReportPDF()
    t = pdf.text_of
    title = _("Progress report")
    pdf.footer_text = _("Confidential: quoted from the session notes and computed from the record by Atendo.")
    pdf.set_title(t(f"{title} {client.pk}"))
    pdf.set_author(t(member.workspace.name))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(pdf.body_font, "B", 17)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 9, t(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(pdf.body_font, "B", 11)
    pdf.cell(0, 6, t(client.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.body_font, "", 9)
    pdf.set_text_color(*MUTED)
    lines = [
        member.workspace.name,
        _("Period: %(period)s") % {"period": period_label(insights)},
        _("Prepared by %(name)s on %(date)s")
        % {"name": member.display_name, "date": format_date(context["generated"], tz=member.workspace.tz)},
    ]
    for line in lines:
        pdf.cell(0, 5, t(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)

    a = insights["attendance"]
    pdf.heading(_("Attendance"))
    rows = [
        (_("Sessions"), a["total"]),
        (_("Completed"), a["completed"]),
        (_("Cancelled"), a["cancelled"]),
        (_("Late cancellations"), a["late_cancelled"]),
        (_("No-shows"), a["no_show"]),
        (_("Attendance rate"), f"{format_number(a['rate'] * 100)}%" if a["rate"] is not None else "—"),
        (
            _("Mean interval"),
            _("%(days)s days") % {"days": format_number(a["mean_interval_days"], 1)}
            if a["mean_interval_days"] is not None
            else "—",
        ),
    ]
    pdf.set_font(pdf.body_font, "", 9.5)
    for label, value in rows:
        pdf.cell(width * 0.45, 5.5, t(label))
        pdf.cell(width * 0.55, 5.5, t(value), new_x="LMARGIN", new_y="NEXT")

    if insights["withheld"]:
        pdf.ln(3)
        pdf.set_text_color(*MUTED)
        withheld = _(
            "The clinical parts of this report are withheld: you do not have clinical access to this client."
        )
        pdf.body(withheld)
        pdf.set_text_color(0, 0, 0)
    else:
        pdf.heading(_("Summary"))
        if not insights["summary"]:
            pdf.body(_("No notes in this period."))
        for item in insights["summary"]:
            day = format_date(dt.date.fromisoformat(item["date"]))
            pdf.set_font(pdf.body_font, "B", 9)
            pdf.cell(27, 5, t(day))
            pdf.set_font(pdf.body_font, "", 9.5)
            pdf.multi_cell(0, 5, t(f"“{item['text']}”"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        if insights["themes"]:
            pdf.heading(_("Recurring themes"))
            pdf.body(
                "; ".join(
                    _("%(term)s (%(count)d sessions)") % {"term": th["term"], "count": th["count"]}
                    for th in insights["themes"]
                )
            )
        if insights["trends"]:
            pdf.heading(_("Trends"))
            for trend in insights["trends"]:
                pdf.chart(trend, width)
        if insights["evaluations"]:
            pdf.heading(_("Evaluations"))
            for e in insights["evaluations"]:
                day = format_date(dt.date.fromisoformat(e["date"]))
                scores = "".join(
                    f" · {sc['label']}: {format_number(sc['value'], 1)}" for sc in e.get("scores", [])
                )
                pdf.body(f"{day} — {e['title'] or _('Evaluation')}{scores}")
    return bytes(pdf.output())


def pdf_response(member: Membership, client_id: int, *, start: Any = None, end: Any = None) -> HttpResponse:
    body = report_pdf(member, client_id, start=start, end=end)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="progress-report-{client_id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
