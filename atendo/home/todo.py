"""What the home's to-do lists ask of the features that fill them, registered at start-up.

`to_sign` (notes written but not signed) belongs to the signing of clinical records: until an app
registers a provider, the list is empty and the home shows no such card. A provider answers the
items for a member and a practitioner scope in the to-do item shape (`selectors.TodoItem`: ids,
client name, time; never any clinical content), at most `limit` of them, in a constant number of
queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from atendo.workspaces.models import Membership

# provider(member, practitioner_id or None for everyone, limit) -> items
ToSignProvider = Callable[["Membership", "int | None", int], list[dict[str, Any]]]

_to_sign: ToSignProvider | None = None


def register_to_sign(provider: ToSignProvider) -> None:
    global _to_sign
    _to_sign = provider


def signing_exists() -> bool:
    return _to_sign is not None


def to_sign(member: Membership, practitioner_id: int | None, limit: int) -> list[dict[str, Any]]:
    return _to_sign(member, practitioner_id, limit) if _to_sign is not None else []
