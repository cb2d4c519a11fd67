"""The one base of Atendo's PDFs (invoices and receipts, progress reports, record exports), on fpdf2:
A4 in millimetres, DejaVu Sans where the system has it (any script), otherwise the PDF core font
with Latin-1 stand-ins for the few characters it lacks; the brand's colours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
BRAND = (47, 111, 115)
MUTED = (95, 107, 122)
LATIN1_FALLBACKS = {
    "€": "EUR",
    "—": "-",
    "–": "-",
    "…": "...",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "•": "-",
    "›": ">",
}


class Document(FPDF):
    """An A4 document with the body font chosen once; `text_of` makes any value printable in it."""

    def __init__(self, *, bottom_margin: float = 20) -> None:
        super().__init__(format="A4", unit="mm")
        self.unicode = False
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold))
            self.body_font = "Body"
            self.unicode = True
        else:  # the PDF core font: Latin-1 only, enough for English and Portuguese
            self.body_font = "Helvetica"
        self.set_auto_page_break(auto=True, margin=bottom_margin)
        self.set_margins(18, 18, 18)

    def text_of(self, value: Any) -> str:
        text = "" if value is None else str(value)
        if not self.unicode:
            for fancy, plain in LATIN1_FALLBACKS.items():
                text = text.replace(fancy, plain)
            text = text.encode("latin-1", "replace").decode("latin-1")
        return text
