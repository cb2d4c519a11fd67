"""What the session services need from the apps above scheduling, registered by them at start-up.

A no-show or a late cancellation may cost the client a fee, which is a payment; payments belong to
billing, above scheduling in the layers, so scheduling cannot import it. Billing registers its fee
service here from its `AppConfig.ready()` (as `fields.registry` is filled by the apps above fields),
and the attendance rule (`scheduling.services.attendance`) calls it inside its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from atendo.scheduling.models import Session
    from atendo.workspaces.models import Membership, Workspace


@dataclass(frozen=True)
class ChargedFee:
    """A fee charged for a session: the pending payment that holds it."""

    session_id: int
    payment_id: int
    kind: str  # no_show | late_cancel
    amount: Decimal


class SessionFees(Protocol):
    """Billing, as the attendance rule sees it. Both run inside the caller's transaction, with the
    session's row locked, and audit what they do (as `actor`, or `actor_label` when no member acts).
    Neither checks the actor's permissions: the fee follows from the attendance rule, whoever
    records the no-show or the cancellation (a client's own cancellation link included)."""

    def charge(
        self,
        *,
        workspace: Workspace,
        session: Session,
        kind: str,
        amount: Decimal,
        actor: Membership | None,
        actor_label: str = "",
    ) -> ChargedFee | None:
        """A pending payment of `amount` for the session, marked as a `kind` fee; None (nothing
        changed) when the session already has a payment (paid in advance, say: it is kept)."""
        ...

    def void(
        self, *, workspace: Workspace, session: Session, actor: Membership | None, actor_label: str = ""
    ) -> int | None:
        """Remove the session's fee when the no-show or late cancellation is undone, unless it was
        paid or invoiced (then it stays, for the practice to settle). The payment id removed, or None."""
        ...


_fees: SessionFees | None = None


def register_fees(fees: SessionFees) -> None:
    global _fees
    _fees = fees


def fees() -> SessionFees:
    if _fees is None:
        raise ImproperlyConfigured("No fee service is registered (atendo.billing is not installed).")
    return _fees
