"""The signed consent as a PDF (`core.pdf.Document`): title, version, the full text, the drawn
signature, the typed name, the date and time in the practice's time zone (the language's own date
format), the client's address and the sha256 of the text signed."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from atendo.core.pdf import BRAND, MUTED, Document


@dataclass(frozen=True)
class SignedConsent:
    practice: str
    title: str
    version: int
    text: str
    signer_name: str
    client_name: str
    signed_at: dt.datetime  # aware, in the practice's time zone
    timezone_name: str
    ip: str
    text_sha256: str
    signature_png: bytes


def signed_at_text(moment: dt.datetime, timezone_name: str) -> str:
    """e.g. 03/12/2026 14:05:09 (America/Sao_Paulo) in pt-BR."""
    return (
        formats.date_format(moment, "SHORT_DATE_FORMAT")
        + " "
        + moment.strftime("%H:%M:%S")
        + f" ({timezone_name}, UTC{moment.strftime('%z')[:3]}:{moment.strftime('%z')[3:]})"
    )


def consent_pdf(consent: SignedConsent) -> bytes:
    pdf = Document()
    pdf.set_title(pdf.text_of(consent.title))
    pdf.set_creator("Atendo")
    pdf.add_page()
    width = pdf.epw
    pdf.set_font(pdf.body_font, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(width, 5, pdf.text_of(consent.practice), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.body_font, "B", 15)
    pdf.set_text_color(*BRAND)
    pdf.multi_cell(width, 8, pdf.text_of(consent.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.body_font, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.cell(
        width,
        5,
        pdf.text_of(_("Version %(version)d") % {"version": consent.version}),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(pdf.body_font, "", 10.5)
    pdf.multi_cell(width, 5.5, pdf.text_of(consent.text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    if pdf.get_y() > pdf.h - 90:
        pdf.add_page()
    pdf.set_font(pdf.body_font, "B", 11)
    pdf.cell(width, 6, pdf.text_of(_("Signature")), new_x="LMARGIN", new_y="NEXT")
    pdf.image(io.BytesIO(consent.signature_png), w=70)
    pdf.ln(2)
    pdf.set_font(pdf.body_font, "", 10)
    rows = [
        (_("Signed by"), consent.signer_name),
        (_("Client"), consent.client_name),
        (_("Date and time"), signed_at_text(consent.signed_at, consent.timezone_name)),
        (_("IP address"), consent.ip),
        (_("SHA-256 of the text"), consent.text_sha256),
    ]
    for label, value in rows:
        pdf.set_font(pdf.body_font, "B", 9.5)
        pdf.cell(42, 6, pdf.text_of(label))
        pdf.set_font(pdf.body_font, "", 9.5)
        pdf.multi_cell(width - 42, 6, pdf.text_of(value), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
