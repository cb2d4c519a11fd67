"""Keyset pagination, the one way every list pages: by one sort field, ties broken by id.

A page is "the `limit` rows after the last one you saw", asked for with an opaque cursor holding that
row's (sort value, id), so a deep page costs what the first one does and rows added meanwhile
neither repeat nor vanish. The cursor is signed (Django's signing, salted for pagination): clients
cannot forge one, and anything that is not a cursor we gave out for this order (garbage, a
hand-edited or truncated one, one of another sort) answers 422 at `cursor`, never a 500 or a wrong
page. The sort value's type comes from the model field, and is checked again on the way in.

    order = Keyset("name")                       # or Keyset.parse(sort, allowed={...})
    rows, next_cursor = keyset_page(qs, order=order, cursor=cursor, limit=limit)

Lists read by something other than model instances (the sessions' rows path) use the two halves:
`order.window(qs, cursor, limit)` and `order.cut(rows, limit)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core import signing
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from atendo.core.clean import is_id
from atendo.core.errors import ValidationFailed

DEFAULT_PAGE = 50
MAX_PAGE = 200
_SIGNER = signing.Signer(salt="atendo.core.pagination")
_ROW = TypeVar("_ROW")
_M = TypeVar("_M", bound=models.Model)
# Bounds of the integer columns a list may sort on (a bigger number would overflow in the driver).
_MIN_INT, _MAX_INT = -(2**63), 2**63 - 1


def check_limit(limit: Any, *, maximum: int = MAX_PAGE) -> int:
    """A page size in 1 … maximum; anything else is a 422 at `limit`."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise ValidationFailed.single("limit", _("The limit is between 1 and %(max)d.") % {"max": maximum})
    return limit


def _invalid() -> ValidationFailed:
    return ValidationFailed.single("cursor", _("This cursor is not valid; start again without it."))


@dataclass(frozen=True)
class Keyset:
    """The order of a list: `field` ascending (or `descending`), then id the same way."""

    field: str = "id"
    descending: bool = False

    @classmethod
    def parse(cls, sort: str, allowed: Collection[str]) -> Keyset:
        """`"name"` or `"-starts_at"` (descending), one of `allowed`; else a 422 at `sort`."""
        field = sort[1:] if sort.startswith("-") else sort
        if field not in allowed:
            raise ValidationFailed.single(
                "sort",
                _("Sort by one of %(keys)s (prefix - for descending).")
                % {"keys": ", ".join(sorted(allowed))},
            )
        return cls(field, descending=sort.startswith("-"))

    @property
    def _by_id(self) -> bool:
        return self.field in ("id", "pk")

    def order_by(self) -> tuple[str, ...]:
        sign = "-" if self.descending else ""
        return (f"{sign}pk",) if self._by_id else (f"{sign}{self.field}", f"{sign}pk")

    # --- cursors ----------------------------------------------------------------------------------

    def encode(self, value: Any, pk: int) -> str:
        """The cursor of a row whose sort value is `value` and id `pk`."""
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).isoformat()
        elif isinstance(value, dt.date):
            value = value.isoformat()
        payload = [pk] if self._by_id else [self.field, value, pk]
        return _SIGNER.sign_object(payload)

    def decode(self, cursor: str, model: type[models.Model]) -> tuple[Any, int]:
        """(sort value, id) of a cursor given out for this order over `model`; 422 otherwise."""
        try:
            payload = _SIGNER.unsign_object(cursor)
        except (signing.BadSignature, ValueError, TypeError, UnicodeError):
            raise _invalid() from None
        if not isinstance(payload, list):
            raise _invalid()
        if self._by_id:
            if len(payload) != 1 or not is_id(payload[0]):
                raise _invalid()
            return payload[0], payload[0]
        if len(payload) != 3 or payload[0] != self.field or not is_id(payload[2]):
            raise _invalid()
        return self._sort_value(model, payload[1]), payload[2]

    def _sort_value(self, model: type[models.Model], raw: Any) -> Any:
        column = model._meta.get_field(self.field)
        try:
            if isinstance(column, models.DateTimeField):
                value = dt.datetime.fromisoformat(raw)
                if value.tzinfo is None:
                    raise ValueError(raw)
                return value
            if isinstance(column, models.DateField):
                return dt.date.fromisoformat(raw)
        except (TypeError, ValueError):
            raise _invalid() from None
        if isinstance(column, models.IntegerField | models.AutoField):
            if isinstance(raw, bool) or not isinstance(raw, int) or not _MIN_INT <= raw <= _MAX_INT:
                raise _invalid()
            return raw
        if isinstance(column, models.CharField | models.TextField):
            if not isinstance(raw, str) or "\x00" in raw:
                raise _invalid()
            return raw
        raise TypeError(f"Keyset pagination cannot sort on {model.__name__}.{self.field}.")

    # --- the two halves of a page ---------------------------------------------------------------

    def window(self, qs: QuerySet[_M], cursor: str | None, limit: int) -> QuerySet[_M]:
        """`qs` after `cursor`, in this order, cut to `limit + 1` rows (one more tells whether a
        next page exists). `limit` must have been checked (`check_limit`)."""
        if cursor:
            value, pk = self.decode(cursor, qs.model)
            op = "lt" if self.descending else "gt"
            if self._by_id:
                qs = qs.filter(**{f"pk__{op}": pk})
            else:
                qs = qs.filter(
                    Q(**{f"{self.field}__{op}": value}) | Q(**{self.field: value, f"pk__{op}": pk})
                )
                # Redundant with the keyset predicate, but a plain bound the planner can start the
                # index scan at (PostgreSQL does not derive it from the OR): a deep page does not
                # read and discard every earlier row.
                qs = qs.filter(**{f"{self.field}__{op}e": value})
        return qs.order_by(*self.order_by())[: limit + 1]

    def cut(self, rows: Sequence[_ROW], limit: int) -> tuple[list[_ROW], str | None]:
        """The page out of `window`'s rows (model instances or dicts): (rows, next cursor or None)."""
        page = list(rows[:limit])
        if len(rows) <= limit:
            return page, None
        last: Any = page[-1]
        if isinstance(last, dict):
            pk = last["id"]
            value = pk if self._by_id else last[self.field]
        else:
            pk = last.pk
            value = pk if self._by_id else getattr(last, self.field)
        return page, self.encode(value, pk)


NEWEST_FIRST = Keyset("id", descending=True)


def keyset_page(
    qs: QuerySet[_M],
    *,
    cursor: str | None,
    limit: Any,
    order: Keyset = NEWEST_FIRST,
    maximum: int = MAX_PAGE,
) -> tuple[list[_M], str | None]:
    """One page of `qs` in `order` (newest first by default) after `cursor`: (rows, next cursor)."""
    limit = check_limit(limit, maximum=maximum)
    return order.cut(list(order.window(qs, cursor, limit)), limit)
