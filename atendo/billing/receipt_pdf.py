"""The receipt as a PDF (fpdf2), in the receipt's language: title, number, the practice, the
statement "Recebi de … a importância de R$ 150,00 (cento e cinquenta reais) referente a …", the
services paid, method and date, and a signature line for each professional with their details.

Labels live here (like the invoice's, `billing.pdf`): the document speaks the practice's language,
never the reader's.
"""

from __future__ import annotations

from fpdf import FPDF

from atendo.billing.pdf import LINE, _InvoicePDF
from atendo.billing.receipts import Receipt
from atendo.core import formats
from atendo.core.pdf import BRAND, MUTED

INK = (29, 39, 51)

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "RECEIPT",
        "number": "Receipt no.",
        "invoice_number": "Invoice no.",
        "received_one": "I received from",
        "received_many": "We received from",
        "tax_id": "tax id",
        "the_amount": "the amount of",
        "for": "for",
        "date": "Date",
        "service": "Service",
        "amount": "Amount",
        "total": "Total",
        "method": "Payment method",
        "paid_on": "Paid on",
        "issued_on": "Issued on",
        "registration": "Registration",
        "professional_tax_id": "Tax id",
        "footer": "This receipt confirms the payment above.",
        "page": "Page",
    },
    "pt-br": {
        "title": "RECIBO",
        "number": "Recibo nº",
        "invoice_number": "Fatura nº",
        "received_one": "Recebi de",
        "received_many": "Recebemos de",
        "tax_id": "CPF",
        "the_amount": "a importância de",
        "for": "referente a",
        "date": "Data",
        "service": "Serviço",
        "amount": "Valor",
        "total": "Total",
        "method": "Forma de pagamento",
        "paid_on": "Pago em",
        "issued_on": "Emitido em",
        "registration": "Registro",
        "professional_tax_id": "CPF/CNPJ",
        "footer": "Este recibo comprova o pagamento acima.",
        "page": "Página",
    },
}


def _statement(receipt: Receipt, labels: dict[str, str]) -> str:
    """One sentence, as a handwritten recibo would say it."""
    lang = receipt.language
    money = formats.format_money(receipt.amount, receipt.currency, lang)
    who = receipt.client_name
    if receipt.client_tax_id:
        who += f" ({labels['tax_id']} {receipt.client_tax_id})"
    services = sorted({item.description for item in receipt.items})
    received = labels["received_one"] if len(receipt.professionals) <= 1 else labels["received_many"]
    text = f"{received} {who} {labels['the_amount']} {money} ({receipt.amount_words})"
    if services:
        days = sorted({item.day for item in receipt.items})
        shown = [formats.format_date(day, language=lang) for day in days]
        # A long invoice names its first and last day; the table below lists every session.
        when = f"{shown[0]} – {shown[-1]}" if len(shown) > 3 else ", ".join(shown)
        joined = (" e " if lang == "pt-br" else " and ").join(services)
        text += f", {labels['for']} {joined} ({when})"
    return text + "."


def receipt_pdf(receipt: Receipt) -> bytes:
    labels = LABELS[receipt.language]
    lang = receipt.language
    pdf: FPDF = _InvoicePDF(labels)
    t = pdf.text_of  # type: ignore[attr-defined]
    body = pdf.body_font  # type: ignore[attr-defined]
    pdf.set_title(t(f"{labels['title']} {receipt.number}"))
    pdf.set_author(t(receipt.practice_name))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    # The practice and the document's identity.
    pdf.set_font(body, "B", 16)
    pdf.set_text_color(*BRAND)
    top = pdf.get_y()
    pdf.multi_cell(width * 0.6, 8, t(receipt.practice_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(body, "", 9)
    pdf.set_text_color(*MUTED)
    if receipt.practice_address:
        pdf.multi_cell(width * 0.6, 4.5, t(receipt.practice_address), new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width * 0.6, top)
    pdf.set_font(body, "B", 22)
    pdf.set_text_color(*INK)
    pdf.cell(width * 0.4, 10, t(labels["title"]), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(pdf.l_margin + width * 0.6)
    pdf.set_font(body, "", 10)
    number_label = labels["invoice_number"] if receipt.kind == "invoice" else labels["number"]
    pdf.cell(width * 0.4, 6, t(f"{number_label} {receipt.number}"), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(pdf.l_margin + width * 0.6)
    pdf.set_font(body, "B", 14)
    pdf.set_text_color(*BRAND)
    money = formats.format_money(receipt.amount, receipt.currency, lang)
    pdf.cell(width * 0.4, 9, t(money), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 3)
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(8)

    # The statement.
    pdf.set_font(body, "", 12)
    pdf.set_text_color(*INK)
    pdf.multi_cell(width, 7, t(_statement(receipt, labels)), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)

    # The services paid (a payment has one; an invoice one per session).
    if len(receipt.items) > 1:
        cols = [width * 0.2, width * 0.55, width * 0.25]
        pdf.set_fill_color(232, 241, 241)
        pdf.set_font(body, "B", 9)
        pdf.set_text_color(36, 86, 89)
        for label, col, align in zip(
            (labels["date"], labels["service"], labels["amount"]), cols, ("L", "L", "R"), strict=True
        ):
            pdf.cell(col, 7, t(label), fill=True, align=align)
        pdf.ln(7)
        pdf.set_font(body, "", 10)
        pdf.set_text_color(*INK)
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.2)
        for item in receipt.items:
            values = (
                formats.format_date(item.day, language=lang),
                item.description[:60],
                formats.format_money(item.amount, receipt.currency, lang),
            )
            for value, col, align in zip(values, cols, ("L", "L", "R"), strict=True):
                pdf.cell(col, 7, t(value), align=align)
            pdf.ln(7)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.set_font(body, "B", 10)
        pdf.cell(cols[0] + cols[1], 8, t(labels["total"]), align="R")
        pdf.cell(cols[2], 8, t(money), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)

    # Method and dates.
    facts = [
        (labels["method"], receipt.method or "—"),
        (labels["paid_on"], formats.format_date(receipt.paid_on, "long", language=lang)),
        (labels["issued_on"], formats.format_date(receipt.issued_on, "long", language=lang)),
    ]
    for label, value in facts:
        pdf.set_font(body, "", 10)
        pdf.set_text_color(*MUTED)
        pdf.cell(width * 0.3, 6, t(label))
        pdf.set_font(body, "B", 10)
        pdf.set_text_color(*INK)
        pdf.cell(width * 0.7, 6, t(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(18)

    # A signature line per professional, their details beneath it.
    for person in receipt.professionals:
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        x = pdf.l_margin + width * 0.2
        pdf.set_draw_color(*INK)
        pdf.set_line_width(0.3)
        pdf.line(x, pdf.get_y(), x + width * 0.6, pdf.get_y())
        pdf.ln(2)
        pdf.set_font(body, "B", 11)
        pdf.set_text_color(*INK)
        pdf.cell(width, 6, t(person.name), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(body, "", 9)
        pdf.set_text_color(*MUTED)
        details = [person.profession]
        if person.registration:
            details.append(person.registration)
        if person.tax_id:
            details.append(f"{labels['professional_tax_id']} {person.tax_id}")
        line = " · ".join(d for d in details if d)
        if line:
            pdf.cell(width, 5, t(line), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(16)
    return bytes(pdf.output())
