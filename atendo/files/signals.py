"""Attachment housekeeping.

- Whenever an Attachment row goes — deleted directly or cascaded from its client, session or
  workspace — its file is removed from disk once the transaction commits (never before: a
  rollback keeps both).
- Attachments referenced by a saved session's or evaluation's field values are linked to that
  record (see `files.services.attachments_link`), whichever page or API saved it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from atendo.files.models import Attachment


@receiver(post_delete, sender=Attachment, dispatch_uid="attachment_remove_file")
def remove_file_after_commit(sender: Any, instance: Attachment, using: str, **kwargs: Any) -> None:
    from atendo.files.services import attachment_storage

    name = instance.storage_name
    if name:
        transaction.on_commit(lambda: attachment_storage().delete(name), using=using)


def _has_ints(value: Any) -> bool:
    """Any whole number inside a JSON value? (Attachment ids are; a save without any needs no query.)"""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _attachment_definitions(workspace_id: int, scope: str, therapy_type_id: int | None = None) -> list[Any]:
    from atendo.fields.models import ATTACHMENT_TYPES, NESTED_TYPES, FieldDefinition

    qs = FieldDefinition.objects.filter(
        workspace_id=workspace_id, scope=scope, type__in=ATTACHMENT_TYPES | NESTED_TYPES
    )
    if therapy_type_id is not None:
        qs = qs.filter(therapy_type_id=therapy_type_id)
    return list(qs)


@receiver(post_save, sender="scheduling.Session", dispatch_uid="attachment_link_session")
def link_session_attachments(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Files, images and signatures put in a session's fields join that session (and so its
    client's clinical barrier) when they were uploaded by its practitioner or its creator."""
    from atendo.files.services import attachment_ids_in, attachments_link

    phases = {**instance.pre_fields, **instance.during_fields, **instance.post_fields}
    therapy = instance.therapy_fields or {}
    if raw or not (_has_ints(phases) or _has_ints(therapy)):
        return
    ids = attachment_ids_in(phases, _attachment_definitions(instance.workspace_id, "session"))
    if therapy and instance.therapy_type_id:
        definitions = _attachment_definitions(instance.workspace_id, "therapy_type", instance.therapy_type_id)
        ids |= attachment_ids_in(therapy, definitions)
    attachments_link(
        workspace_id=instance.workspace_id,
        ids=ids,
        uploaded_by_ids=[instance.practitioner_id, instance.created_by_id],
        session=instance,
    )


@receiver(post_save, sender="evaluations.Evaluation", dispatch_uid="attachment_link_evaluation")
def link_evaluation_attachments(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Files in an evaluation's values join its client (clinical barrier of that client)."""
    from atendo.files.services import attachment_ids_in, attachments_link

    values = getattr(instance, "values", None) or {}
    if raw or not _has_ints(values):
        return
    ids = attachment_ids_in(values, _attachment_definitions(instance.workspace_id, "evaluation"))
    attachments_link(
        workspace_id=instance.workspace_id,
        ids=ids,
        uploaded_by_ids=[getattr(instance, "performed_by_id", None)],
        client=instance.client,
    )
