"""Which custom-field values a write seals, decided from the field definitions (the same rule
`redact.administrative_keys` gives the reads): every value is sealed except those of
administrative definitions; a clinical, filterable value also gets a blind index, so the calendar
filter `field.<key>=<value>` still finds it (`blind_index_filter`).

Every service that stores custom-field values calls `seal_fields` (sessions' phases, clients'
fields, evaluations' values) on the values it is about to write, after validating them in
plaintext; therapy fields are clinical whole (`open_keys=()`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models.fields.json import KeyTransform

from atendo.clinical import crypto
from atendo.clinical.redact import administrative_keys
from atendo.fields.models import FILTERABLE_TYPES, FieldDefinition


def blind_keys(definitions: Iterable[FieldDefinition], *, phase: str | None = None) -> set[str]:
    """Keys whose sealed values carry a blind index: clinical definitions a practice made filterable."""
    return {
        d.key
        for d in definitions
        if d.clinical and d.filterable and d.type in FILTERABLE_TYPES and (phase is None or d.phase == phase)
    }


def seal_fields(
    seal: crypto.Sealer,
    column: crypto.SealedColumn,
    row_id: int,
    values: Mapping[str, Any],
    definitions: Iterable[FieldDefinition],
    *,
    phase: str | None = None,
    everything: bool = False,
) -> dict[str, Any]:
    """`values` as stored: clinical ones sealed (`everything`: all of them, e.g. a clinical
    evaluation's), administrative ones plain, envelopes already there kept."""
    definitions = list(definitions)
    open_keys = set() if everything else administrative_keys(definitions, phase=phase)
    return seal.values(
        column, row_id, values, open_keys=open_keys, blind_keys=blind_keys(definitions, phase=phase)
    )


def blind_index_filter(
    workspace_id: int, column: crypto.SealedColumn, field_key: str, value: Any, *, lookup: str | None = None
) -> Any:
    """`column.key == value` for a sealed value, as a filter expression (`qs.filter(<it>)`): its
    blind index among those of the workspace's live keys. `lookup`: the model's name for the column
    (defaults to the column's). Key transforms, never a `__` path, so no field key reads as a lookup."""
    blind = KeyTransform(crypto.BLIND, KeyTransform(field_key, lookup or column.column))
    lookup_class: Any = blind.get_lookup("in")
    return lookup_class(blind, crypto.blind_terms(workspace_id, column, field_key, value))


def reseal_key(
    queryset: Any,
    *,
    field: str,
    column: crypto.SealedColumn,
    definition: FieldDefinition,
    sealed_whole: str | None = None,
    batch: int = 500,
) -> int:
    """Re-store the values under `definition.key` of every row of `queryset` (rows of one workspace
    that hold the key) for the definition's current flags: sealed while it is clinical (with a
    blind index when also filterable), plain once administrative. `sealed_whole`: a boolean column
    whose rows keep every value sealed whatever the definition (a clinical evaluation). How many."""
    seal = crypto.sealer(definition.workspace_id)
    blind = definition.key in blind_keys([definition])
    pending: list[Any] = []
    count = 0
    for row in queryset.iterator(chunk_size=batch):
        clinical = definition.clinical or bool(sealed_whole and getattr(row, sealed_whole))
        stored = getattr(row, field) or {}
        setattr(
            row,
            field,
            crypto.reseal_values(
                definition.workspace_id,
                column,
                row.pk,
                stored,
                keys=[definition.key],
                clinical=clinical,
                blind=blind and clinical,
                seal=seal,
            ),
        )
        pending.append(row)
        if len(pending) >= batch:
            queryset.model.objects.bulk_update(pending, [field])
            count += len(pending)
            pending = []
    if pending:
        queryset.model.objects.bulk_update(pending, [field])
        count += len(pending)
    return count
