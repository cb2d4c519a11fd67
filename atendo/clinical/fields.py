"""`SealedTextField`: a text column that holds only ciphertext (`clinical.crypto` tokens).

The field encrypts nothing (the row id the associated data needs is not known to a field, and a
rule must not live in ORM magic that `.update()` skips); it refuses: every write — `save()`,
`bulk_create`, `.update()`, a filter value — goes through `get_prep_value`, so plaintext handed to
a sealed column raises instead of reaching the database. Seal with `crypto.sealer(...).text(...)`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from atendo.clinical.crypto import is_token


class PlaintextRefused(ValueError):
    """Plaintext given to a sealed column."""


class SealedTextField(models.TextField):
    description = "Text sealed by atendo.clinical.crypto"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value and not is_token(value):
            raise PlaintextRefused(
                f"{self.model.__name__}.{self.name} holds sealed text only: seal it with "
                "atendo.clinical.crypto first."
            )
        return value
