"""The value-cleaning vocabulary every service speaks: ids, bounded text, booleans, choices, whole
numbers, amounts of money.

A service receives values from every door (API bodies, page forms, imports, commands), so it checks
them itself, and each check raises `ValidationFailed` naming the path of the offending value, with a
translated message. Checks are strict: `True` is not the id 1 and `"12"` is not the number 12 (the
doors that read text, like query strings, convert first: `id_or_none`). To report every bad field
of a request at once, run the checks through a `FieldErrors` collector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from atendo.core.errors import FieldError, ValidationFailed

# The largest database id (a signed 64-bit primary key). A bigger number in a path, body or query
# would overflow inside the database driver, so it is refused before it gets there.
MAX_ID = 2**63 - 1

# The largest amount of money a price or payment may hold (the columns are decimal(10, 2)).
MAX_AMOUNT = Decimal("99999999.99")

_T = TypeVar("_T")


def is_id(value: Any) -> bool:
    """Is `value` a database id: an int (not a bool) in 1 … MAX_ID?"""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def clean_id(value: Any, path: str) -> int:
    if not is_id(value):
        raise ValidationFailed.single(path, _("Give an id (a whole number)."))
    return int(value)


def clean_optional_id(value: Any, path: str) -> int | None:
    """An id, or None for a missing one (`null` clears a reference)."""
    return None if value is None else clean_id(value, path)


def clean_ids(value: Any, path: str, *, max_items: int) -> list[int]:
    """A list of distinct ids, in the order given (a repeat is dropped), at most `max_items`."""
    if not isinstance(value, list | tuple):
        raise ValidationFailed.single(path, _("Give a list of ids."))
    if len(value) > max_items:
        raise ValidationFailed.single(path, _("Give at most %(max)d ids.") % {"max": max_items})
    errors = FieldErrors()
    ids = [errors.check(clean_id, item, f"{path}[{index}]") for index, item in enumerate(value)]
    errors.raise_if_any()
    return list(dict.fromkeys(i for i in ids if i is not None))


def id_or_none(value: Any) -> int | None:
    """An id read from text (a query string, a form's hidden input), or None if it is not one.

    For filters and preselections of pages, where a bad value simply means "none".
    """
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    return value if is_id(value) else None


def clean_text(
    value: Any,
    path: str,
    *,
    max_length: int,
    required: bool = False,
    strip: bool = True,
    blank_if_none: bool = True,
) -> str:
    """Text of at most `max_length` characters, without NUL (databases refuse it).

    `required` refuses an empty (after `strip`) text; `None` is "" unless `blank_if_none` is False.
    """
    if value is None and blank_if_none:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed.single(path, _("Give text."))
    if "\x00" in value:
        raise ValidationFailed.single(path, _("This text contains a NUL character, which is not allowed."))
    text = value.strip() if strip else value
    if required and not text.strip():
        raise ValidationFailed.single(path, _("This field is required."))
    if len(text) > max_length:
        raise ValidationFailed.single(path, _("Use at most %(max)d characters.") % {"max": max_length})
    return text


def clean_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed.single(path, _("Give true or false."))
    return value


def clean_choice(value: Any, path: str, choices: Iterable[str]) -> str:
    """One of `choices` (e.g. a TextChoices' `.values`); the message lists them."""
    allowed = list(choices)
    if not isinstance(value, str) or value not in allowed:
        raise ValidationFailed.single(
            path,
            _("Unknown value '%(value)s'; use %(choices)s.")
            % {"value": value, "choices": ", ".join(allowed)},
        )
    return value


def clean_int(value: Any, path: str, *, minimum: int, maximum: int) -> int:
    """A whole number in [minimum, maximum]; a float with no fraction (7.0, as JSON may carry it) counts."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.single(path, _("Give a whole number."))
    if not minimum <= value <= maximum:
        raise ValidationFailed.single(
            path, _("Give a number between %(min)d and %(max)d.") % {"min": minimum, "max": maximum}
        )
    return value


def clean_money(value: Any, path: str, *, required: bool = False) -> Decimal | None:
    """An exact, non-negative amount with at most two decimals, from a string or a number (the
    string of a float, so never its binary noise); None or "" is no amount unless `required`."""
    if value is None or value == "":
        if required:
            raise ValidationFailed.single(path, _("An amount is required."))
        return None
    not_amount = _("Must be an amount such as 150.00.")
    if isinstance(value, bool):
        raise ValidationFailed.single(path, not_amount)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed.single(path, not_amount) from None
    if not amount.is_finite():
        raise ValidationFailed.single(path, not_amount)
    if amount < 0:
        raise ValidationFailed.single(path, _("The amount cannot be negative."))
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValidationFailed.single(path, _("Use at most two decimal places."))
    if amount > MAX_AMOUNT:
        raise ValidationFailed.single(path, _("The amount is too large."))
    return amount.quantize(Decimal("0.01"))


class FieldErrors:
    """Collects the errors of several checks, so one answer names every bad field.

    errors = FieldErrors()
    name = errors.check(clean_text, data.get("name"), "name", max_length=200, required=True)
    ...
    errors.raise_if_any()
    """

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def __bool__(self) -> bool:
        return bool(self.errors)

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def check(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T | None:
        """`fn(*args, **kwargs)`, or None with its errors kept if it raises `ValidationFailed`."""
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            self.errors.extend(exc.fields)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
