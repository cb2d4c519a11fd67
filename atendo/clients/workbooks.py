"""Reading an Excel workbook (.xlsx) for the client import: the rows of one sheet as text cells,
numbered as the spreadsheet shows them, streamed (openpyxl's read-only mode) and bounded.

    sheet = open_sheet(raw, sheet=None, max_columns=200)   -> its name, every sheet's name, and
    for number, cells in sheet.rows: ...                     its rows, read as they are iterated

- The first sheet, or the one named `sheet` (422 at `sheet` naming those there are).
- Cells become the text a person reads: a date as YYYY-MM-DD (a date and time as
  YYYY-MM-DDTHH:MM), a whole number without ".0" (a phone or a CPF typed as a number), other
  numbers as written in the cell (3.5), yes/no as true/false, an empty cell as "". A formula gives
  the value Excel saved with it (never the formula; none when the file was never opened in a
  spreadsheet program).
- Bounds, checked before anything is unpacked: at most `MAX_UNPACKED` bytes once uncompressed and
  `MAX_PARTS` parts in the archive (a zip bomb is 413 `too_large`); rows are read one at a time and
  the reading stops past `MAX_SHEET_ROWS` rows of the sheet (422 `too_many_rows`). Python's zip
  reader never unpacks more than a part's declared size (a part that lies fails its checksum).
- At most `max_columns` columns: by the sheet's declared size (Excel's used range), and by each
  row's cells as it is read.
- A file that is not a readable workbook is 422 `unreadable_file`, whatever broke inside it.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from atendo.core.errors import DomainError, FieldError, ValidationFailed

MAX_UNPACKED = 50 * 1024 * 1024
MAX_PARTS = 1_000
MAX_SHEET_ROWS = 100_000
XLSX_MAGIC = b"PK\x03\x04"


def _unreadable() -> ValidationFailed:
    return ValidationFailed.single(
        "file",
        _("The file could not be read as an Excel workbook (.xlsx); save it again as .xlsx or CSV."),
        code="unreadable_file",
    )


def _too_wide(limit: int) -> ValidationFailed:
    return ValidationFailed.single("file", _("The file has more than {limit} columns.").format(limit=limit))


def _check_archive(raw: bytes) -> None:
    """413 for a workbook that would unpack to too much, before openpyxl unpacks anything."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise _unreadable() from None
    if len(parts) > MAX_PARTS or sum(part.file_size for part in parts) > MAX_UNPACKED:
        message = _("The workbook unpacks to more than {limit} MB; save it as CSV or split it.").format(
            limit=MAX_UNPACKED // (1024 * 1024)
        )
        raise DomainError(message=message, code="too_large", status=413, fields=[FieldError("file", message)])


def cell_text(value: Any) -> str:
    """A cell's value as the text a person reads in it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.replace(tzinfo=None).isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(value, ".15g")  # what Excel shows: 15 significant digits
    return str(value)


@dataclass
class Sheet:
    names: list[str]  # every sheet of the workbook, in order
    name: str  # the one read
    rows: Iterator[tuple[int, list[str]]]  # (row number, cells), blank rows too, from row 1


def open_sheet(raw: bytes, *, sheet: str | None, max_columns: int) -> Sheet:
    """The first sheet of the workbook, or `sheet` (422 at `sheet` when it has none of that name).
    Its rows are read as they are iterated; a row holding a value beyond `max_columns` is 422."""
    _check_archive(raw)
    from openpyxl import load_workbook  # a heavy import, needed by workbook imports only

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
    except Exception:  # a broken archive or XML fails in many ways; each means "not a workbook"
        raise _unreadable() from None
    try:
        names = list(book.sheetnames)
        if not names:
            raise _unreadable()
        if sheet and sheet not in names:
            raise ValidationFailed.single(
                "sheet",
                _("The workbook has no sheet '{sheet}'; its sheets are: {names}.").format(
                    sheet=sheet[:60], names=", ".join(names)[:300]
                ),
            )
        chosen = sheet or names[0]
        try:
            worksheet = book[chosen]
            declared = worksheet.max_column or 0
            # Rows are read as they come, not up to the declared last row (which may be huge).
            worksheet.reset_dimensions()
        except Exception:  # a missing or broken sheet part
            raise _unreadable() from None
        # Cells past `max_columns` are not even read (a row may reach column 16,384): the size the
        # sheet declares (every writer of .xlsx declares it) tells whether there are any, and is
        # how wide each row is read; a row's own cells are checked as it comes.
        if declared > max_columns:
            raise _too_wide(max_columns)
        values = worksheet.iter_rows(values_only=True, max_col=declared or max_columns + 1)
    except BaseException:
        book.close()
        raise
    return Sheet(names=names, name=chosen, rows=_rows(book, values, max_columns))


def _rows(book: Any, values: Iterator[tuple[Any, ...]], max_columns: int) -> Iterator[tuple[int, list[str]]]:
    number = 0
    try:
        while True:
            try:
                row = next(values, None)
            except Exception:  # broken XML inside the sheet
                raise _unreadable() from None
            if row is None:
                return
            number += 1
            if number > MAX_SHEET_ROWS:
                raise ValidationFailed.single(
                    "file",
                    _("The sheet goes on past row {limit}; split it into smaller files.").format(
                        limit=MAX_SHEET_ROWS
                    ),
                    code="too_many_rows",
                )
            cells = [cell_text(value) for value in row]
            while cells and not cells[-1]:
                cells.pop()
            if len(cells) > max_columns:
                raise _too_wide(max_columns)
            yield number, cells
    finally:
        book.close()
