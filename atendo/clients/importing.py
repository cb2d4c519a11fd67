"""Import of clients from a spreadsheet (XLSX or CSV): read the file, map its columns to client
fields, check every row with the client service's own rules, then create (or merge) them all or
none.

    table = read_table(raw_bytes)                        -> headers and rows (413/415/422 if unreadable)
    targets = import_targets(member)                     -> what a column may fill, for this member
    mapping = auto_mapping(table.headers, targets)       -> {header: target} from common headers
    report = clients_import(member=m, raw=raw_bytes, mapping=None | {...}, dry_run=True,
                            on_duplicate="skip", duplicates={"<row>": "merge"})

- The file: UTF-8 (with or without a BOM), else Windows-1252 / Latin-1; `;`, `,` or tab as the
  delimiter, whichever the header line uses most; at most `MAX_BYTES` (413) and `MAX_ROWS` data
  rows (422). An Excel workbook (.xlsx) is read by `workbooks` (its first sheet or `sheet`, bounded
  against zip bombs); an old .xls is 415 with a hint to save it as .xlsx or CSV.
- Targets: `name`, `email`, `phone`, `birth_date`, `fields.<key>` for each live custom client field
  of a type a cell can hold, and `practitioners` (members' e-mails) for a member with
  `client.assign` only. Clinical fields are offered to, and accepted from, only a member who may
  write them (`clinical.access.may_write`); anyone else mapping one gets 403 `clinical_forbidden`.
- Cells become values as a person wrote them: dates as YYYY-MM-DD or dd/mm/aaaa, numbers with a
  decimal comma or point, yes/no in English or Portuguese, choices by value or label. What cannot
  be read is passed on as written, so the service's own message names the problem.
- Every row goes through `services.client_check` (the rules of `client_create`); errors carry the
  spreadsheet's row number (the header is row 1), the field path and the column's header.
- Duplicates (the e-mail, phone or tax id of an existing client of the workspace, or of an earlier
  row; `merging`) are listed with the client they match, and per row skipped (the default),
  merged into that client (`services.client_update`: its empty fields only, conflicts listed) or
  created anyway. Only what the member may read is compared (a clinical tax id: their readable
  clients only), so the report never depends on hidden content.
- The commit creates every row through `services.client_create` (merges through `client_update`)
  in one transaction, or nothing when any row has an error (422 `import_invalid` with the report),
  and records one `client.import` audit event with the counts (besides each client's own events).
- Text is stored as text: a cell starting with `=`, `+`, `-` or `@` is never evaluated (the CSV
  downloads quote such cells, `core.csvs`). A leading apostrophe that a spreadsheet or Atendo's own
  CSV put before such a cell is removed, so an exported file imports as it was.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from atendo.audit.services import audit_record
from atendo.clients import merging, services, workbooks
from atendo.clients.serializers import client_definitions
from atendo.clinical.access import may_write
from atendo.clinical.redact import administrative_keys
from atendo.core.csvs import FORMULA_STARTS
from atendo.core.errors import DomainError, FieldError, Forbidden, ValidationFailed
from atendo.fields.models import FieldDefinition
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 200
# Field types a spreadsheet cell can hold (files, signatures, members, lists and groups cannot).
CELL_TYPES = frozenset(
    {"text", "textarea", "number", "boolean", "date", "datetime", "select", "multi_select"}
)
PRACTITIONERS = "practitioners"

BASIC_LABELS = {
    "name": gettext_lazy("Name"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone"),
    "birth_date": gettext_lazy("Birth date"),
    PRACTITIONERS: gettext_lazy("Practitioners (members' e-mails)"),
}

# Headers as other products and people's own spreadsheets spell them, normalised (`_norm`).
SYNONYMS = {
    "name": {
        "name",
        "nome",
        "nomecompleto",
        "fullname",
        "clientname",
        "patientname",
        "nomedocliente",
        "nomedopaciente",
        "cliente",
        "paciente",
        "client",
        "patient",
    },
    "email": {"email", "emailaddress", "correioeletronico", "enderecodeemail", "mail"},
    "phone": {
        "phone",
        "telephone",
        "phonenumber",
        "mobile",
        "mobilephone",
        "cellphone",
        "cell",
        "telefone",
        "celular",
        "fone",
        "whatsapp",
        "telefonecelular",
        "numerodetelefone",
    },
    "birth_date": {
        "birthdate",
        "dateofbirth",
        "dob",
        "birthday",
        "datadenascimento",
        "nascimento",
        "datanascimento",
        "dtnascimento",
        "aniversario",
    },
    # A tax id has no column of its own: it maps to a custom field keyed or labelled cpf/tax_id.
    "cpf": {"cpf", "taxid", "cpfcnpj", "documento"},
}

_ISO_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(:00(\.0+)?)?$")
_BR_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_BR_MOMENT = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})$")
_NUMBER = re.compile(r"^[+-]?(\d+|\d{1,3}([.,]\d{3})+)([.,]\d+)?$")
YES = {"yes", "y", "true", "1", "sim", "s", "x", "verdadeiro"}
NO = {"no", "n", "false", "0", "nao", "falso"}


class ImportTooLarge(DomainError):
    def __init__(self, message: str):
        super().__init__(message=message, code="too_large", status=413, fields=[FieldError("file", message)])


def too_large() -> ImportTooLarge:
    return ImportTooLarge(
        _("The file is larger than {size} MB; split it into smaller files.").format(
            size=MAX_BYTES // (1024 * 1024)
        )
    )


class ImportInvalid(DomainError):
    """A commit refused because rows have errors: nothing was written; the report says why."""


@dataclass(frozen=True)
class Target:
    key: str  # "name", "email", "phone", "birth_date", "practitioners", "fields.<key>"
    label: str
    type: str
    clinical: bool = False
    definition: FieldDefinition | None = None


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)
    encoding: str
    delimiter: str
    sheets: list[str] = field(default_factory=list)  # a workbook's sheets ([] for CSV)
    sheet: str = ""  # the one read


@dataclass
class ImportReport:
    dry_run: bool
    headers: list[str]
    mapping: dict[str, str]
    created: int = 0
    rows: int = 0
    merged: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created": self.created,
            "merged": self.merged,
            "rows": self.rows,
            "mapping": self.mapping,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "errors": self.errors,
        }


# --- reading the file ------------------------------------------------------------------------------


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(raw: bytes) -> tuple[Iterator[tuple[int, list[str]]], str, str]:
    """(row number, cells) of every record of a CSV file, blank ones too; its encoding and delimiter."""
    text, encoding = _decode(raw)
    if "\x00" in text:
        raise ValidationFailed.single("file", _("The file is not a CSV text file."), code="unreadable_file")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[str]]]:
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except csv.Error:
            raise ValidationFailed.single(
                "file",
                _("The file could not be read as CSV (row {row}).").format(row=number + 1),
                code="unreadable_file",
            ) from None

    return records(), encoding, delimiter


def read_table(raw: bytes, *, sheet: str | None = None) -> Table:
    """The file's header and rows, from a CSV file or an Excel workbook (.xlsx: its first sheet, or
    `sheet`). 413 over `MAX_BYTES`, 415 for an old Excel (.xls) file, 422 when empty, over
    `MAX_ROWS` rows or unreadable."""
    if len(raw) > MAX_BYTES:
        raise too_large()
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        message = _(
            "This is an old Excel workbook (.xls); save it as .xlsx or CSV (File › Save as) and upload that."
        )
        raise DomainError(
            message=message, code="unsupported_type", status=415, fields=[FieldError("file", message)]
        )
    sheets: list[str] = []
    if raw.startswith(workbooks.XLSX_MAGIC):
        opened = workbooks.open_sheet(raw, sheet=sheet, max_columns=MAX_COLUMNS)
        records, encoding, delimiter = opened.rows, "xlsx", ""
        sheets, sheet = opened.names, opened.name
    else:
        records, encoding, delimiter = _csv_rows(raw)
        sheet = None
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    # Every record counts, blank ones too: `number` is the row a spreadsheet shows.
    for number, cells in records:
        if not any(c.strip() for c in cells):
            continue
        if headers is None:
            headers = [" ".join(c.split()) for c in cells]
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed.single(
                "file",
                _("The file has more than {limit} rows; split it into smaller files.").format(limit=MAX_ROWS),
                code="too_many_rows",
            )
        rows.append((number, cells))
    if headers is None:
        raise ValidationFailed.single("file", _("The file is empty."), code="unreadable_file")
    if len(headers) > MAX_COLUMNS:
        raise ValidationFailed.single(
            "file", _("The file has more than {limit} columns.").format(limit=MAX_COLUMNS)
        )
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise ValidationFailed.single(
                "file",
                _("The column '{header}' appears twice; give each column its own title.").format(
                    header=header[:60]
                ),
            )
        seen.add(header)
    return Table(
        headers=headers, rows=rows, encoding=encoding, delimiter=delimiter, sheets=sheets, sheet=sheet or ""
    )


# --- what a column may fill ------------------------------------------------------------------------


def import_targets(member: Membership, definitions: Sequence[FieldDefinition] | None = None) -> list[Target]:
    """The client fields a column may be mapped to by `member`, in form order. Clinical custom
    fields only for a member who may write them on a new client (`clinical.access.may_write`);
    practitioners only with `client.assign`."""
    if definitions is None:
        definitions = client_definitions(member.workspace)
    targets = [Target(key, str(BASIC_LABELS[key]), "basic") for key in services.BASIC]
    writes_clinical = may_write(member, None)
    for definition in definitions:
        if definition.archived or definition.type not in CELL_TYPES:
            continue
        if definition.clinical and not writes_clinical:
            continue
        targets.append(
            Target(
                f"fields.{definition.key}",
                definition.label,
                definition.type,
                clinical=definition.clinical,
                definition=definition,
            )
        )
    if member.has_perm("client.assign"):
        targets.append(Target(PRACTITIONERS, str(BASIC_LABELS[PRACTITIONERS]), "basic"))
    return targets


def _norm(text: str) -> str:
    """'Data de Nascimento' -> 'datadenascimento', 'E-mail' -> 'email'."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isalnum() and not unicodedata.combining(ch))


def auto_mapping(headers: Sequence[str], targets: Sequence[Target]) -> dict[str, str]:
    """{header: target key} for the headers recognised: a custom field by its key or label, the
    basic fields by their common names in English and Portuguese. Each target once, first column
    wins; unrecognised headers are left out (not imported)."""
    by_name: dict[str, str] = {}
    for target in targets:
        if target.definition is not None:
            by_name.setdefault(_norm(target.definition.key), target.key)
            by_name.setdefault(_norm(target.label), target.key)
    for target in targets:
        for synonym in SYNONYMS.get(target.key, set()):
            by_name.setdefault(synonym, target.key)
        by_name.setdefault(_norm(target.label), target.key)
    # A tax-id column maps to a custom field keyed or labelled like one (cpf, tax_id...).
    tax_id = next((by_name[s] for s in sorted(SYNONYMS["cpf"]) if s in by_name), None)
    if tax_id:
        for synonym in SYNONYMS["cpf"]:
            by_name.setdefault(synonym, tax_id)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = by_name.get(_norm(header))
        if header and key and key not in used:
            mapping[header] = key
            used.add(key)
    return mapping


def clean_mapping(
    member: Membership,
    headers: Sequence[str],
    raw: Any,
    targets: Sequence[Target],
    definitions: Sequence[FieldDefinition],
) -> dict[str, str]:
    """A mapping given by the importer, checked: `{header: target key or null/""}`. 422 naming the
    header for an unknown column or target, a target chosen twice, or no name column; 403
    `clinical_forbidden` for a clinical field the member may not write."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed.single(
            "mapping", _("The mapping must be an object: column title -> client field.")
        )
    offered = {t.key: t for t in targets}
    administrative = administrative_keys(definitions)
    errors: list[FieldError] = []
    mapping: dict[str, str] = {}
    used: dict[str, str] = {}
    for header, key in raw.items():
        path = f"mapping.{header}"
        if header not in headers:
            errors.append(
                FieldError(path, _("The file has no column '{header}'.").format(header=str(header)[:60]))
            )
            continue
        if key in (None, ""):
            continue
        if not isinstance(key, str):
            errors.append(FieldError(path, _("Choose a client field for this column, or none.")))
            continue
        if key not in offered:
            _refuse_hidden(member, key, administrative)
            errors.append(
                FieldError(path, _("'{key}' is not a client field you can import.").format(key=key[:60]))
            )
            continue
        if key in used:
            errors.append(
                FieldError(
                    path,
                    _("{field} is already filled from the column '{header}'.").format(
                        field=offered[key].label, header=used[key][:60]
                    ),
                )
            )
            continue
        used[key] = header
        mapping[header] = key
    if not errors and "name" not in used:
        errors.append(FieldError("mapping", _("Choose the column that holds the clients' names.")))
    if errors:
        raise ValidationFailed(errors)
    return mapping


def _refuse_hidden(member: Membership, key: str, administrative: set[str]) -> None:
    """A clinical field or the practitioners, asked for by a member who may not write them: 403.
    As in `services`, any key but an administrative field's counts as clinical (unknown ones too)."""
    if key == PRACTITIONERS:
        raise Forbidden(
            _("Assigning practitioners to clients needs the client.assign permission."),
            code="assign_forbidden",
        )
    if (
        key.startswith("fields.")
        and key[len("fields.") :] not in administrative
        and not may_write(member, None)
    ):
        raise Forbidden(
            _("You may not write clinical content for this client (fields.{first}).").format(
                first=key[len("fields.") :]
            ),
            code="clinical_forbidden",
        )


# --- cells to values -------------------------------------------------------------------------------


def _text(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith("'") and cell[1:2] and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def _day(cell: str) -> str:
    """dd/mm/aaaa (or with . or -) and Excel's midnight ISO as YYYY-MM-DD; anything else as written."""
    match = _BR_DAY.match(cell)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    match = _ISO_MIDNIGHT.match(cell)
    return match.group(1) if match else cell


def _moment(cell: str) -> str:
    match = _BR_MOMENT.match(cell)
    if match:
        day, month, year, hour, minute = (int(g) for g in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"
    return cell


def _number(cell: str) -> Any:
    """'3,5', '3.5', '1.234,50', '1,234.50' as numbers (a single comma is a decimal comma, as in
    Brazil); anything else as written."""
    compact = cell.replace(" ", "").replace("\u00a0", "")
    if not _NUMBER.match(compact):
        return cell
    sign = "-" if compact.startswith("-") else ""
    compact = compact.lstrip("+-")
    if "," in compact and "." in compact:
        decimal = "," if compact.rfind(",") > compact.rfind(".") else "."
    elif compact.count(",") == 1:
        decimal = ","
    elif compact.count(".") == 1:
        decimal = "."
    else:
        decimal = ""  # only thousands separators
    whole, fraction = compact.rsplit(decimal, 1) if decimal else (compact, "")
    digits = whole.replace(",", "").replace(".", "")
    if len(digits) + len(fraction) > 15:
        return cell  # beyond what a number field stores exactly
    if fraction:
        number = float(f"{sign}{digits}.{fraction}")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return int(f"{sign}{digits}")


def _option(definition: FieldDefinition, cell: str) -> str:
    for option in definition.options or []:
        value = str(option.get("value", ""))
        if cell == value or _norm(cell) in (_norm(value), _norm(str(option.get("label", "")))):
            return value
    return cell


def cell_value(target: Target, cell: str) -> Any:
    """The value a cell gives its target (None for an empty cell)."""
    text = _text(cell)
    if not text:
        return None
    kind = target.type
    if target.key == "birth_date" or kind == "date":
        return _day(text)
    if kind == "datetime":
        return _moment(text)
    if kind == "number":
        return _number(text)
    if kind == "boolean":
        folded = _norm(text)
        return True if folded in YES else False if folded in NO else text
    if kind == "select" and target.definition is not None:
        return _option(target.definition, text)
    if kind == "multi_select" and target.definition is not None:
        return [_option(target.definition, part.strip()) for part in re.split(r"[;,|]", text) if part.strip()]
    if kind == "textarea":
        return cell.strip()
    return text


# --- the import ------------------------------------------------------------------------------------


def _members_by_email(member: Membership) -> dict[str, int]:
    return {
        email.casefold(): pk
        for pk, email in Membership.objects.for_workspace(member.workspace)
        .filter(is_active=True)
        .values_list("pk", "user__email")
    }


def _row_data(
    cells: list[str],
    columns: list[tuple[int, Target]],
    members: dict[str, int] | None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """A row as `client_create`'s input, and the errors found reading it (unknown practitioners)."""
    data: dict[str, Any] = {"name": ""}
    fields: dict[str, Any] = {}
    errors: list[FieldError] = []
    for index, target in columns:
        cell = cells[index] if index < len(cells) else ""
        if target.key == PRACTITIONERS:
            ids = []
            for email in re.split(r"[;,\s]+", _text(cell)):
                if not email:
                    continue
                pk = (members or {}).get(email.casefold())
                if pk is None:
                    errors.append(
                        FieldError(
                            "practitioner_ids",
                            _("No active member of this workspace has the e-mail {email}.").format(
                                email=email[:80]
                            ),
                        )
                    )
                else:
                    ids.append(pk)
            data["practitioner_ids"] = ids
            continue
        value = cell_value(target, cell)
        if target.definition is not None:
            if value is not None:
                fields[target.definition.key] = value
        else:
            data[target.key] = value if value is not None else ""
    if data.get("birth_date") == "":
        data["birth_date"] = None
    data["fields"] = fields
    return data, errors


def _head(path: str) -> str:
    """'fields.follow_up[2].date' -> 'fields.follow_up', 'practitioner_ids[0]' -> 'practitioner_ids'."""
    head = path.split("[", 1)[0]
    if head.startswith("fields."):
        return "fields." + head[len("fields.") :].split(".", 1)[0]
    return head


def _column_of(path: str, by_target: dict[str, str]) -> str:
    """The header of the column a service error path came from ('' when no column fills it)."""
    head = _head(path)
    return by_target.get(PRACTITIONERS if head == "practitioner_ids" else head, "")


def _choices(on_duplicate: str, duplicates: Any) -> dict[str, str]:
    """The action per row ({"<row>": "skip" | "merge" | "create"}), checked: 422 at its path."""
    actions = ", ".join(merging.ACTIONS)
    if on_duplicate not in merging.ACTIONS:
        raise ValidationFailed.single("on_duplicate", _("Choose one of: {actions}.").format(actions=actions))
    if duplicates in (None, ""):
        return {}
    if not isinstance(duplicates, Mapping):
        raise ValidationFailed.single(
            "duplicates", _("The choices must be an object: row number -> skip, merge or create.")
        )
    errors = [
        FieldError(f"duplicates.{str(row)[:20]}", _("Choose one of: {actions}.").format(actions=actions))
        for row, action in duplicates.items()
        if not str(row).isdigit() or action not in merging.ACTIONS
    ]
    if errors:
        raise ValidationFailed(errors)
    return {str(int(row)): str(action) for row, action in duplicates.items()}


def _match_message(match: merging.Match) -> str:
    if match.client_id is not None:
        if match.path == "email":
            return _("A client with this e-mail already exists.")
        if match.path == "phone":
            return _("A client with this phone number already exists.")
        return _("A client with this tax id already exists.")
    if match.path == "email":
        return _("Row {row} has the same e-mail.").format(row=match.row)
    if match.path == "phone":
        return _("Row {row} has the same phone number.").format(row=match.row)
    return _("Row {row} has the same tax id.").format(row=match.row)


def clients_import(
    *,
    member: Membership,
    raw: bytes,
    mapping: Mapping[str, Any] | None = None,
    dry_run: bool = True,
    sheet: str | None = None,
    on_duplicate: str = "skip",
    duplicates: Mapping[str, str] | None = None,
) -> ImportReport:
    """Check (and unless `dry_run`, create) the clients of a CSV or XLSX file. `mapping` None maps
    the columns automatically. A row matching an existing client (or an earlier row) is skipped,
    merged into that client or created anyway: `duplicates[str(row)]`, else `on_duplicate`.
    A commit with any row in error writes nothing: 422 `import_invalid`, with the report in the
    error body (`created` 0, `skipped`, `duplicates`, `errors`)."""
    require(member, "client.read")
    require(member, "client.create")
    choices = _choices(on_duplicate, duplicates)
    table = read_table(raw, sheet=sheet)
    definitions = client_definitions(member.workspace)
    targets = import_targets(member, definitions)
    chosen = (
        auto_mapping(table.headers, targets)
        if mapping is None
        else clean_mapping(member, table.headers, mapping, targets, definitions)
    )
    if "name" not in chosen.values():
        raise ValidationFailed.single("mapping", _("Choose the column that holds the clients' names."))
    offered = {t.key: t for t in targets}
    columns = [(table.headers.index(header), offered[key]) for header, key in chosen.items()]
    by_target = {key: header for header, key in chosen.items()}
    members = _members_by_email(member) if PRACTITIONERS in by_target else None
    report = ImportReport(dry_run=dry_run, headers=table.headers, mapping=chosen, rows=len(table.rows))
    tax_id = merging.tax_id_definition(definitions, list(by_target), _norm)
    index = merging.DuplicateIndex(member, tax_id)
    created = 0
    merged = 0

    def record(number: int, errors: list[FieldError]) -> None:
        report.errors += [
            {"row": number, "path": e.path, "column": _column_of(e.path, by_target), "message": e.message}
            for e in errors
        ]

    # One pass. A commit creates (or merges) each row through the client service while no row has
    # failed; from the first error on, the rest are only checked, and everything is rolled back.
    with transaction.atomic():
        for number, cells in table.rows:
            data, errors = _row_data(cells, columns, members)
            keys = index.keys(data)
            match = index.find(keys)
            if match is not None:
                action = choices.get(str(number), on_duplicate)
                entry: dict[str, Any] = {
                    "row": number,
                    "path": match.path,
                    "column": by_target.get(match.path, ""),
                    "message": _match_message(match),
                    "matched": match.matched,
                    "client_id": match.client_id,
                    "client_name": index.name(match.client_id) if match.client_id else None,
                    "duplicate_of_row": match.row,
                    "action": action,
                    "fills": [],
                    "conflicts": [],
                }
                report.duplicates.append(entry)
                if action == "skip":
                    report.skipped.append(entry)
                    continue
                if action == "merge":
                    errors += _merge(
                        member,
                        index,
                        match,
                        keys,
                        data,
                        definitions,
                        by_target,
                        entry,
                        rehearse=bool(dry_run or errors or report.errors),
                    )
                    if errors:
                        record(number, errors)
                    else:
                        merged += 1
                    continue
            index.add_row(keys, number)
            try:
                if errors or dry_run or report.errors:
                    services.client_check(member=member, data=data, definitions=definitions)
                else:
                    services.client_create(member=member, data=data, definitions=definitions)
            except ValidationFailed as exc:
                errors += exc.fields
            if errors:
                record(number, errors)
            else:
                created += 1
        if dry_run:
            report.created, report.merged = created, merged
            return report
        if report.errors:
            raise _invalid(report)  # leaving the block rolls back every row created or merged
        report.created, report.merged = created, merged
        audit_record(
            workspace=member.workspace,
            actor=member,
            action="client.import",
            object_type="client",
            changes={
                "created": report.created,
                "merged": report.merged,
                "skipped": len(report.skipped),
                "rows": report.rows,
            },
        )
    return report


def _merge(
    member: Membership,
    index: merging.DuplicateIndex,
    match: merging.Match,
    keys: dict[str, str],
    data: dict[str, Any],
    definitions: list[FieldDefinition],
    by_target: dict[str, str],
    entry: dict[str, Any],
    *,
    rehearse: bool,
) -> list[FieldError]:
    """Merge a row into the client it matches through `services.client_update` (its permissions,
    rules and audit); `rehearse` only checks the values (`_check_merge`). The row's errors."""
    if match.client_id is None:
        return [
            FieldError(
                "duplicate",
                _(
                    "Only a client already in Atendo can be merged into; this row repeats row {row} "
                    "of the file: skip it, import it anyway, or combine the two rows in the file."
                ).format(row=match.row),
            )
        ]
    if not member.has_perm("client.update"):
        return [
            FieldError(
                "duplicate",
                _("Merging changes an existing client, which needs the client.update permission."),
            )
        ]
    plan = merging.merge_plan(member, index, match.client_id, data, definitions, by_target)
    entry["fills"], entry["conflicts"] = plan.fills, plan.conflicts
    if plan.refusal is not None:
        return [plan.refusal]
    if not plan.changes:
        index.merged(match.client_id, keys, plan)
        return []
    try:
        if rehearse:
            _check_merge(member, index.name(match.client_id), plan.changes, definitions)
        else:
            services.client_update(member=member, client_id=match.client_id, data=plan.changes)
    except ValidationFailed as exc:
        return list(exc.fields)
    except Forbidden as exc:
        return [FieldError("duplicate", exc.message)]
    index.merged(match.client_id, keys, plan)
    return []


def _check_merge(
    member: Membership, name: str, changes: dict[str, Any], definitions: list[FieldDefinition]
) -> None:
    """The values a merge would write, checked by the client rules without writing (a dry run, or
    a commit already failing): `client_check` of the client's name and those values, keeping only
    the errors of the values written (a required field the row does not fill is not the merge's).
    The commit itself writes through `client_update`, which checks them again."""
    data = {"name": name, **changes, "fields": changes.get("fields") or {}}
    try:
        services.client_check(member=member, data=data, definitions=definitions)
    except ValidationFailed as exc:
        written = {key for key in changes if key != "fields"} | {
            f"fields.{key}" for key in changes.get("fields") or {}
        }
        errors = [e for e in exc.fields if _head(e.path) in written]
        if errors:
            raise ValidationFailed(errors) from None


def _invalid(report: ImportReport) -> ImportInvalid:
    count = len({e["row"] for e in report.errors})
    message = ngettext(
        "{count} row has errors; nothing was imported. Correct it and try again.",
        "{count} rows have errors; nothing was imported. Correct them and try again.",
        count,
    ).format(count=count)
    first = report.errors[:50]
    return ImportInvalid(
        message=message,
        code="import_invalid",
        status=422,
        fields=[FieldError(f"rows[{e['row']}].{e['path']}", e["message"]) for e in first],
        extra={
            "created": 0,
            "merged": 0,
            "skipped": report.skipped,
            "duplicates": report.duplicates,
            "errors": report.errors,
        },
    )
