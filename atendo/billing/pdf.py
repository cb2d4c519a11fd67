"""The invoice as a PDF (fpdf2, pure Python), in the workspace's language (English or Brazilian
Portuguese). Labels live here rather than in the gettext catalogue so the document never depends on
the reader's language, only on the practice's."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from atendo.billing import pix
from atendo.billing.models import Invoice, InvoiceLine
from atendo.core import formats
from atendo.core.pdf import BRAND, MUTED, Document

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "INVOICE",
        "number": "Invoice no.",
        "issue_date": "Issue date",
        "status": "Status",
        "bill_to": "Bill to",
        "from": "From",
        "date": "Date",
        "description": "Description",
        "therapy_type": "Therapy type",
        "amount": "Amount",
        "total": "Total",
        "notes": "Notes",
        "draft": "DRAFT",
        "void": "VOID",
        "paid": "PAID",
        "issued": "ISSUED",
        "not_issued": "not issued yet",
        "footer": "Thank you. Please keep this invoice for your records.",
        "pix": "Pay with PIX",
        "pix_code": "PIX copia e cola (paste it in your banking app):",
        "page": "Page",
    },
    "pt-br": {
        "invoice": "FATURA",
        "number": "Fatura nº",
        "issue_date": "Data de emissão",
        "status": "Situação",
        "bill_to": "Cliente",
        "from": "Emitente",
        "date": "Data",
        "description": "Descrição",
        "therapy_type": "Terapia",
        "amount": "Valor",
        "total": "Total",
        "notes": "Observações",
        "draft": "RASCUNHO",
        "void": "CANCELADA",
        "paid": "PAGA",
        "issued": "EMITIDA",
        "not_issued": "ainda não emitida",
        "footer": "Obrigado. Guarde esta fatura para seus registros.",
        "pix": "Pague com PIX",
        "pix_code": "PIX copia e cola (cole no app do seu banco):",
        "page": "Página",
    },
}
LINE = (221, 226, 232)
PIX_QR_MM = 38


def _pix_block(pdf: Any, labels: dict[str, str], payload: str, width: float) -> None:
    """The PIX QR (PNG drawn by segno) and its "copia e cola" text, for an invoice still owed."""
    t = pdf.text_of
    pdf.ln(6)
    if pdf.get_y() + PIX_QR_MM + 20 > pdf.h - pdf.b_margin:
        pdf.add_page()
    top = pdf.get_y()
    pdf.image(io.BytesIO(pix.qr_png(payload)), x=pdf.l_margin, y=top, w=PIX_QR_MM, h=PIX_QR_MM)
    left = pdf.l_margin + PIX_QR_MM + 6
    pdf.set_xy(left, top)
    pdf.set_text_color(*BRAND)
    pdf.set_font(pdf.body_font, "B", 11)
    pdf.cell(0, 6, t(labels["pix"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(left)
    pdf.set_text_color(*MUTED)
    pdf.set_font(pdf.body_font, "", 8)
    pdf.cell(0, 5, t(labels["pix_code"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(left)
    pdf.set_text_color(29, 39, 51)
    pdf.set_font("Courier", "", 7)
    pdf.multi_cell(width - PIX_QR_MM - 6, 3.5, payload, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + PIX_QR_MM) + 4)


def language_of(code: str) -> str:
    return formats.language_of(code or "en")


def format_money(amount: Decimal, currency: str, language: str) -> str:
    return formats.format_money(amount, currency, language)


def format_date(day: dt.date | None, language: str) -> str:
    return formats.format_date(day, language=language)


class _InvoicePDF(Document):
    def __init__(self, labels: dict[str, str]) -> None:
        super().__init__(bottom_margin=22)
        self.labels = labels

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.body_font, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.text_of(self.labels["footer"]), align="L")
        self.cell(0, 5, self.text_of(f"{self.labels['page']} {self.page_no()}/{{nb}}"), align="R")


def invoice_pdf(
    invoice: Invoice, *, workspace: Any, lines: list[InvoiceLine] | None = None, pix_payload: str = ""
) -> bytes:
    """Render the invoice. Issued invoices use the details frozen at issue; drafts the live ones."""
    language = language_of(workspace.language)
    labels = LABELS[language]
    details = invoice.details or {}
    ws_details = details.get("workspace") or {"name": workspace.name}
    client = details.get("client") or {
        "name": invoice.client.name,
        "email": invoice.client.email,
        "phone": invoice.client.phone,
    }
    lines = lines if lines is not None else list(invoice.lines.order_by("position", "pk"))
    pdf = _InvoicePDF(labels)
    t = pdf.text_of
    pdf.set_title(t(f"{labels['invoice']} {invoice.display_number}".strip()))
    pdf.set_author(t(ws_details.get("name", "")))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    # Header: the practice on the left, the document's identity on the right.
    pdf.set_font(pdf.body_font, "B", 18)
    pdf.set_text_color(*BRAND)
    pdf.cell(width * 0.6, 10, t(ws_details.get("name", "")))
    pdf.set_font(pdf.body_font, "B", 22)
    pdf.set_text_color(29, 39, 51)
    pdf.cell(width * 0.4, 10, t(labels["invoice"]), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(6)

    status_word = labels.get(invoice.status, invoice.status.upper())
    meta = [
        (labels["number"], invoice.display_number or labels["not_issued"]),
        (labels["issue_date"], format_date(invoice.issue_date, language) or "—"),
        (labels["status"], status_word),
    ]
    top = pdf.get_y()
    pdf.set_font(pdf.body_font, "B", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(width * 0.5, 5, t(labels["bill_to"].upper()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(29, 39, 51)
    pdf.set_font(pdf.body_font, "B", 12)
    pdf.cell(width * 0.5, 6, t(client.get("name", "")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.body_font, "", 10)
    for extra in (client.get("email"), client.get("phone")):
        if extra:
            pdf.cell(width * 0.5, 5, t(extra), new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    for label, value in meta:
        pdf.set_x(pdf.l_margin + width * 0.5)
        pdf.set_font(pdf.body_font, "", 10)
        pdf.set_text_color(*MUTED)
        pdf.cell(width * 0.25, 6, t(label), align="R")
        pdf.set_font(pdf.body_font, "B", 10)
        pdf.set_text_color(29, 39, 51)
        pdf.cell(width * 0.25, 6, t(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)

    # Lines.
    cols = [width * 0.16, width * 0.44, width * 0.22, width * 0.18]
    pdf.set_fill_color(232, 241, 241)
    pdf.set_font(pdf.body_font, "B", 9)
    pdf.set_text_color(36, 86, 89)
    for label, col_width, align in zip(
        (labels["date"], labels["description"], labels["therapy_type"], labels["amount"]),
        cols,
        ("L", "L", "L", "R"),
        strict=True,
    ):
        pdf.cell(col_width, 8, t(label), fill=True, align=align)
    pdf.ln(8)
    pdf.set_font(pdf.body_font, "", 10)
    pdf.set_text_color(29, 39, 51)
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.2)
    for line in lines:
        description = line.description if len(line.description) <= 48 else line.description[:47] + "…"
        row = (
            format_date(line.session_date, language),
            description,
            line.therapy_type_name or "—",
            format_money(line.amount, invoice.currency, language),
        )
        for value, col_width, align in zip(row, cols, ("L", "L", "L", "R"), strict=True):
            pdf.cell(col_width, 8, t(value), align=align)
        pdf.ln(8)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())

    # Total.
    pdf.ln(4)
    pdf.set_font(pdf.body_font, "B", 12)
    pdf.set_x(pdf.l_margin + width * 0.5)
    pdf.cell(width * 0.25, 9, t(labels["total"]), align="R")
    pdf.set_text_color(*BRAND)
    pdf.cell(width * 0.25, 9, t(format_money(invoice.total, invoice.currency, language)), align="R")
    pdf.ln(14)

    if invoice.notes:
        pdf.set_text_color(*MUTED)
        pdf.set_font(pdf.body_font, "B", 9)
        pdf.cell(0, 5, t(labels["notes"].upper()), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.body_font, "", 10)
        pdf.set_text_color(29, 39, 51)
        pdf.multi_cell(0, 5, t(invoice.notes))

    if pix_payload:
        _pix_block(pdf, labels, pix_payload, width)

    if invoice.status in ("draft", "void"):
        # A large, light stamp so a draft or a voided invoice is never mistaken for a valid one.
        pdf.set_font(pdf.body_font, "B", 60)
        pdf.set_text_color(230, 200, 200)
        with pdf.rotation(30, x=pdf.w / 2, y=pdf.h / 2):
            pdf.text(pdf.w / 2 - 55, pdf.h / 2, t(status_word))
    return bytes(pdf.output())
