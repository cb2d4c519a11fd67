"""Tax ids as printed on receipts: a Brazilian CPF or CNPJ is checked (its two check digits), any
other id (a US EIN or SSN, an NPI, a foreign number) only for its characters and length.

A value is read as Brazilian when its digits are 11 (CPF) or 14 (CNPJ) long and it holds nothing but
digits and the usual separators (`.`, `-`, `/`, spaces); it is stored formatted
(`123.456.789-09`, `12.345.678/0001-95`), so every receipt prints it the same way.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from atendo.core.errors import ValidationFailed

MAX_TAX_ID_LENGTH = 30
_BRAZILIAN = re.compile(r"[\d.\-/ ]+")
_ALLOWED = re.compile(r"[\w.\-/ ]+")


def _check_digit(digits: list[int], weights: list[int]) -> int:
    rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


def cpf_is_valid(digits: str) -> bool:
    if len(digits) != 11 or digits == digits[0] * 11:
        return False
    numbers = [int(d) for d in digits]
    first = _check_digit(numbers[:9], list(range(10, 1, -1)))
    second = _check_digit(numbers[:10], list(range(11, 1, -1)))
    return numbers[9] == first and numbers[10] == second


def cnpj_is_valid(digits: str) -> bool:
    if len(digits) != 14 or digits == digits[0] * 14:
        return False
    numbers = [int(d) for d in digits]
    first = _check_digit(numbers[:12], [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    second = _check_digit(numbers[:13], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    return numbers[12] == first and numbers[13] == second


def clean_tax_id(value: str, path: str) -> str:
    """The tax id to store ("" for none): a CPF / CNPJ checked and formatted, anything else as given
    (trimmed). A mistyped CPF would make a receipt useless for the client's tax return: 422."""
    text = " ".join(value.split())
    if not text:
        return ""
    if len(text) > MAX_TAX_ID_LENGTH or not _ALLOWED.fullmatch(text):
        raise ValidationFailed.single(
            path,
            _("Use at most %(max)d letters, digits and . - / characters.") % {"max": MAX_TAX_ID_LENGTH},
        )
    digits = re.sub(r"\D", "", text)
    if _BRAZILIAN.fullmatch(text) and len(digits) == 11:
        if not cpf_is_valid(digits):
            raise ValidationFailed.single(path, _("This CPF is not valid: check its digits."))
        return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"
    if _BRAZILIAN.fullmatch(text) and len(digits) == 14:
        if not cnpj_is_valid(digits):
            raise ValidationFailed.single(path, _("This CNPJ is not valid: check its digits."))
        return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}/{digits[8:12]}-{digits[12:]}"
    return text
