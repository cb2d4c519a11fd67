"""Delete a session (or occurrences of its series), and preview what goes with it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.apps import apps
from django.db import router, transaction
from django.db.models import ProtectedError
from django.db.models.deletion import Collector
from django.utils import translation
from django.utils.translation import gettext as _

from atendo.audit.services import audit_record
from atendo.clinical.access import require_clinical_read
from atendo.core.errors import Conflict
from atendo.scheduling.models import Session, SessionPrivateNote
from atendo.scheduling.selectors import session_get_for
from atendo.scheduling.services.common import scope_sessions
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership

# --- delete -----------------------------------------------------------------------------------


def _label(model: Any) -> str:
    with translation.override("en"):
        return str(model._meta.verbose_name_plural).replace(" ", "_")


def _collect(sessions: list[Session]) -> Collector:
    collector = Collector(using=router.db_for_write(Session))
    try:
        collector.collect(sessions)
    except ProtectedError as exc:
        raise Conflict(
            _("This session is on an invoice and cannot be deleted; void or edit the invoice first."),
            code="invoiced",
            protected=sorted({f"{_label(type(o))}:{o.pk}" for o in exc.protected_objects}),
        ) from None
    return collector


def _counts_of(collector: Collector) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for model, instances in collector.data.items():
        counts[_label(model)] += len(instances)
    for qs in collector.fast_deletes:
        n = qs.count()
        if n:
            counts[_label(qs.model)] += n
    return dict(sorted(counts.items()))


def _delete_targets(member: Membership, session_id: int, scope: str) -> list[Session]:
    """The sessions a delete of `scope` removes. Deleting erases their clinical content, so it needs
    read access to it for every one of them (asked of their clients, never of their content: a
    non-reader is refused the same way whether there is anything to erase or not). The preview
    asks the same, since what goes with a session (evaluations, attachments) says what it holds."""
    session = session_get_for(member, session_id)
    targets = [session, *scope_sessions(session, scope)]
    require_clinical_read(
        member,
        {t.client_id for t in targets},
        _("Deleting a session needs read access to its clinical content."),
    )
    signed = [t.pk for t in targets if t.signed_at is not None]
    if signed:
        # A signed record stays in the client's file (CFP keeps records for five years): never deleted.
        raise Conflict(
            _("A signed session is part of the client's record and cannot be deleted."),
            code="signed",
            session_ids=signed,
        )
    others_private = SessionPrivateNote.objects.for_workspace(member.workspace).filter(
        session_id__in=[t.pk for t in targets]
    )
    if others_private.exclude(author=member).exists():
        # Deleting would erase what only their author may read (and so only they may remove).
        raise Conflict(
            _("This session holds another practitioner's private note, which only they can remove."),
            code="private_notes",
        )
    return targets


def session_delete_preview(*, member: Membership, session_id: int, scope: str = "this") -> dict[str, int]:
    """What deleting would remove, by kind (`{"sessions": 1, "attachments": 2, "payments": 1, …}`)."""
    require(member, "session.read", "session.delete")
    with transaction.atomic():
        return _counts_of(_collect(_delete_targets(member, session_id, scope)))


@transaction.atomic
def session_delete(*, member: Membership, session_id: int, scope: str = "this") -> dict[str, int]:
    """Delete a session (or occurrences of its series) permanently. Returns what went with it.

    A session on an invoice is protected: 409 `invoiced`, nothing deleted.
    """
    require(member, "session.read", "session.delete")
    targets = _delete_targets(member, session_id, scope)
    collector = _collect(targets)
    _total, by_label = collector.delete()
    counts = {_label(apps.get_model(label)): n for label, n in by_label.items() if n}
    audit_record(
        workspace=member.workspace,
        actor=member,
        action="session.delete",
        object_type="session",
        object_id=str(session_id),
        object_label=targets[0].name,
        changes={"deleted": counts, "scope": scope},
    )
    return dict(sorted(counts.items()))
