"""Attachment housekeeping: whenever an Attachment row goes — deleted directly or cascaded from its
client, session or workspace — its file is removed from disk once the transaction commits (never
before: a rollback keeps both).

A signal is right here because every way a row goes sends it (Django's deletion collector sends
post_delete for cascaded rows too). Linking files to the record whose values name them is not a
signal: the services call `fields.engine.attachments_claim` themselves.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from atendo.files.models import Attachment
from atendo.files.services import attachment_storage


@receiver(post_delete, sender=Attachment, dispatch_uid="attachment_remove_file")
def remove_file_after_commit(sender: Any, instance: Attachment, using: str, **kwargs: Any) -> None:
    name = instance.storage_name
    if name:
        transaction.on_commit(lambda: attachment_storage().delete(name), using=using)
