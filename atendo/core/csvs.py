"""CSV downloads: spreadsheet-safe cells, streamed row by row.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
spreadsheets (CSV injection); `csv_safe` quotes it with a leading apostrophe. Numbers and ISO dates
are written as they are (a negative amount is a number, not text to neutralise).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header, then each row, as CSV lines (text cells made safe)."""
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_safe(str(h)) for h in header])
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])


def csv_response(
    filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed `text/csv` download named `filename`, never cached by a shared cache."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
