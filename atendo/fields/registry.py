"""What the field engine needs to know from the apps above it, registered by them at start-up.

Field values point at things other apps own: a `therapy_type:<id>` scope names a therapy type,
file / image / signature values are attachment ids, and whether a definition may still change
depends on the values clients, sessions and evaluations have stored. `fields` sits below those apps
in the layers, so it cannot import them; each app registers its answer here from its
`AppConfig.ready()` instead, and the engine asks through the functions below.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from atendo.fields.models import FieldDefinition
    from atendo.workspaces.models import Membership


@dataclass(frozen=True)
class AttachmentFacts:
    """What the engine and the forms need to know about one stored attachment."""

    id: int
    kind: str  # file | image | signature
    content_type: str
    size: int
    name: str


class AttachmentStore(Protocol):
    """The attachments app, as the field engine sees it."""

    @property
    def supported_types(self) -> frozenset[str]:
        """The content types an upload may have (checked against its bytes)."""
        ...

    def facts(
        self, *, workspace_id: int, ids: Collection[int], reader: Membership | None = None
    ) -> dict[int, AttachmentFacts]:
        """The attachments of the workspace among `ids`; with `reader`, only those it may open."""
        ...

    def upload(
        self,
        *,
        member: Membership,
        uploaded_file: Any,
        kind: str,
        clinical: bool,
        allowed_types: list[str] | None,
        max_bytes: int | None,
    ) -> int:
        """Store a file posted in a field's input; its id. Raises a DomainError when refused."""
        ...

    def claim(
        self,
        *,
        member: Membership,
        ids: Collection[int],
        client_id: int | None = None,
        session_id: int | None = None,
    ) -> None:
        """Link the member's own not-yet-linked uploads among `ids` to the record saving them."""
        ...


ValuesExist = Callable[["FieldDefinition"], bool]
# Re-store every value under a definition's key after its clinical or filterable flag changed
# (clinical values are sealed at rest, filterable clinical ones carry a blind index).
ValuesReseal = Callable[["FieldDefinition"], int]

_attachments: AttachmentStore | None = None
_therapy_type_name: Callable[[int, int], str | None] | None = None
_values_exist: dict[str, ValuesExist] = {}
_values_reseal: dict[str, ValuesReseal] = {}


def register_attachments(store: AttachmentStore) -> None:
    global _attachments
    _attachments = store


def register_therapy_types(name_of: Callable[[int, int], str | None]) -> None:
    """`name_of(workspace_id, therapy_type_id)`: the type's name, None when it is not there."""
    global _therapy_type_name
    _therapy_type_name = name_of


def register_values_exist(scope: str, check: ValuesExist) -> None:
    """`check(definition)`: does any stored value of `scope` use this definition's key?"""
    _values_exist[scope] = check


def attachments() -> AttachmentStore:
    if _attachments is None:
        raise ImproperlyConfigured("No attachment store is registered (atendo.files is not installed).")
    return _attachments


def therapy_type_name(workspace_id: int, therapy_type_id: int) -> str | None:
    if _therapy_type_name is None:
        raise ImproperlyConfigured("No therapy types are registered (atendo.therapies is not installed).")
    return _therapy_type_name(workspace_id, therapy_type_id)


def values_exist(definition: FieldDefinition) -> bool:
    """A scope that no app stores values of has none."""
    check = _values_exist.get(definition.scope)
    return check is not None and check(definition)


def register_values_reseal(scope: str, reseal: ValuesReseal) -> None:
    """`reseal(definition)`: re-store the scope's values under this key for its current flags."""
    _values_reseal[scope] = reseal


def values_reseal(definition: FieldDefinition) -> int:
    """How many records were re-stored (a scope that no app stores values of has none)."""
    reseal = _values_reseal.get(definition.scope)
    return reseal(definition) if reseal is not None else 0
