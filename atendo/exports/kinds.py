"""What can be exported: each kind of export declares itself once, here, and the job machinery
(model, service, worker, API, page, download, expiry) does the rest.

A kind is an `ExportKind`:

- `name` ("client", "workspace"), `label`, and its `formats` (file format -> `Format`: extension and
  content type);
- `prepare(member, request) -> Prepared`: at request time, inside the request's transaction, check
  that `member` may make this export (raise `core.errors` exceptions: `NotFound` for a client they
  cannot see, `Forbidden`, `ValidationFailed` at the request's paths) and clean its parameters.
  `Prepared.sensitive` says whether it is a sensitive act (the export carries clinical content or
  the whole practice): the service then asks `accounts.signin.require_recent_sign_in(member)`;
- `write(job)`: in the worker, write the file to `job.out` (a binary file object; write it as you
  go, never the whole file in memory), acting as `job.member` (reload nothing: the member is read
  fresh for the job, so a permission lost since the request is lost for the export too). Add to
  `job.withheld` the parts left out for this reader. Raise `ExportFailed` with a human message for
  an expected failure; anything else fails the export with a generic message (and is logged).

A kind registers itself in its app's `AppConfig.ready()`:

    from atendo.exports import kinds
    kinds.register(kinds.ExportKind(name="workspace", label=_("Whole workspace"),
                                    formats={"zip": kinds.ZIP}, prepare=..., write=...))

The reads of clinical content a kind makes through the serializers are recorded by the read audit
as the member's (the worker opens a batch for each job); the request and each download are audited
by the machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from django.utils.functional import Promise

from atendo.core.errors import DomainError

if TYPE_CHECKING:
    from atendo.clients.models import Client
    from atendo.exports.models import Export
    from atendo.workspaces.models import Membership


@dataclass(frozen=True)
class Format:
    extension: str  # of the download's name, without the dot ("json", "fhir.json")
    content_type: str


JSON = Format("json", "application/json")
PDF = Format("pdf", "application/pdf")
FHIR = Format("fhir.json", "application/fhir+json")
ZIP = Format("zip", "application/zip")


@dataclass(frozen=True)
class Request:
    """What the member asked for (the API body or the page's form), before the kind cleans it."""

    kind: str
    format: str
    client_id: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prepared:
    """A request the kind accepted: what the export row keeps."""

    client: Client | None = None
    params: dict[str, Any] = field(default_factory=dict)
    sensitive: bool = False
    # The download's name without the extension: ids and words, never a name or clinical text.
    stem: str = "export"


@dataclass
class Job:
    """One run of an export, handed to its kind's `write`."""

    export: Export
    member: Membership
    out: IO[bytes]
    withheld: set[str] = field(default_factory=set)

    @property
    def format(self) -> str:
        return self.export.format

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.export.params or {})


class ExportFailed(DomainError):
    """An expected failure of an export's writing (its message is shown to the member)."""

    def __init__(self, message: str, code: str = "export_failed"):
        super().__init__(message=message, code=code, status=422)


@dataclass(frozen=True)
class ExportKind:
    name: str
    label: str | Promise
    formats: dict[str, Format]
    prepare: Callable[[Membership, Request], Prepared]
    write: Callable[[Job], None]
    description: str | Promise = ""
    # Labels of the codes `write` may add to `job.withheld` (shown on the page).
    parts: Mapping[str, str | Promise] = field(default_factory=dict)


_KINDS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    """Declare a kind of export (once per process; registering the same name again replaces it)."""
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> ExportKind | None:
    return _KINDS.get(name)


def registered() -> list[ExportKind]:
    return list(_KINDS.values())


def part_label(kind: str, code: str) -> str:
    """The words for a withheld part's code (the code itself if the kind gives none)."""
    spec = _KINDS.get(kind)
    return str(spec.parts.get(code, code)) if spec else code
