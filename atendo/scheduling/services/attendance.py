"""Attendance: no-shows, cancellations and confirmations — the one home of their rules.

- **Cancelling** records who called it off (`client` or `practice`), why (a short administrative
  reason), when, and whether it was *late*: the client cancelled less than the workspace's
  `cancellation_window_hours` before the start (or after it). A practice's cancellation is never
  late, and a window of 0 makes none late. Lateness is decided once, when the session is
  cancelled (a later change of the window does not rewrite history); correcting who cancelled
  recomputes it against the same moment. Leaving the cancelled status clears all of it.
- **No-show**: a session whose start has passed, the client did not come. Before the start it is
  refused (422 at `status`).
- **Fees**: marking a no-show, or a late cancellation, charges the workspace's `no_show_fee` /
  `late_cancel_fee` (an amount, or a percentage of the therapy type's price; null or no price: no
  fee) as a pending payment of the session (billing, through `scheduling.hooks`), unless the
  session already has a payment (kept as it is). A member with `billing.manage` may waive it
  (`charge_fee=False`). Undoing the no-show or the late cancellation removes an unpaid,
  uninvoiced fee.
- **Confirming**: `confirmed_at` says the client confirmed they will come (a reminder's link, no
  member acting) or a member marked it so; moving the session clears it (`session_update`).

Every status change of a session passes `status_change` and `settle_fee` (called by
`session_update`, which the status API, the pages and the series edits use, and by
`services.status.session_cancel`), so the rule has one place whichever door it comes through.
Doors where no member acts (a client's cancel or confirm link) call `session_cancel` /
`session_confirm` (`services.status`) with `member=None` and an `actor_label`, which the history
and the audit trail show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from atendo.core.clean import clean_choice, clean_text
from atendo.core.errors import ValidationFailed
from atendo.scheduling import hooks
from atendo.scheduling.hooks import ChargedFee
from atendo.scheduling.models import MAX_CANCELLATION_REASON_LENGTH, CancelledBy, Session, SessionStatus
from atendo.workspaces.access import require
from atendo.workspaces.models import Membership, Workspace

NO_SHOW_FEE = "no_show"
LATE_CANCEL_FEE = "late_cancel"
CLEARED = {"cancelled_by": "", "cancellation_reason": "", "cancelled_at": None, "cancellation_late": False}


@dataclass(frozen=True)
class Cancellation:
    by: str
    reason: str = ""


def clean_cancellation(value: Any, path: str = "cancellation") -> Cancellation | None:
    """`{"by": "client" | "practice", "reason": "…"}` from any door (None: not given)."""
    if value is None:
        return None
    if isinstance(value, Cancellation):
        return value
    if not isinstance(value, dict):
        raise ValidationFailed.single(path, _('Give the cancellation as {"by": "client", "reason": "…"}.'))
    unknown = sorted(set(value) - {"by", "reason"})
    if unknown:
        raise ValidationFailed.single(f"{path}.{unknown[0]}", _("Unknown field."))
    if value.get("by") in (None, ""):
        raise ValidationFailed.single(f"{path}.by", _("Say who cancelled: the client or the practice."))
    by = clean_choice(value["by"], f"{path}.by", CancelledBy.values)
    reason = clean_text(value.get("reason"), f"{path}.reason", max_length=MAX_CANCELLATION_REASON_LENGTH)
    return Cancellation(by=by, reason=reason)


def is_late(workspace: Workspace, *, starts_at: dt.datetime, cancelled_at: dt.datetime, by: str) -> bool:
    """A client's cancellation inside the window before the start (or after the start) is late."""
    window = workspace.cancellation_window_hours
    if by != CancelledBy.CLIENT or not window:
        return False
    return cancelled_at > starts_at - dt.timedelta(hours=window)


def fee_amount(workspace: Workspace, *, kind: str, price: Decimal | None) -> Decimal | None:
    """The fee of `kind` for a session priced `price` (its therapy type's), None when there is none."""
    setting = workspace.no_show_fee if kind == NO_SHOW_FEE else workspace.late_cancel_fee
    if not setting:
        return None
    value = Decimal(str(setting["value"]))
    if setting["type"] == "percent":
        if price is None:
            return None
        value = price * value / Decimal(100)
    amount = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return amount if amount > 0 else None


@dataclass
class StatusChange:
    """What one session's status change writes (`columns`), and the fee it may settle."""

    columns: dict[str, Any] = field(default_factory=dict)
    fee_kind: str | None = None  # a fee becomes due
    void_fee: bool = False  # a fee no longer is


def status_change(
    *,
    workspace: Workspace,
    session: Session,
    to_status: str,
    cancellation: Cancellation | None,
    now: dt.datetime,
) -> StatusChange:
    """The attendance columns of moving `session` to `to_status` (or of correcting its cancellation
    when it stays cancelled). Raises ValidationFailed (a no-show before the start, a cancellation
    given for another status)."""
    from_status = session.status
    if cancellation is not None and to_status != SessionStatus.CANCELLED:
        raise ValidationFailed.single(
            "cancellation", _("Only a cancellation says who cancelled and why; the status is not cancelled.")
        )
    if (
        to_status == SessionStatus.NO_SHOW
        and from_status != SessionStatus.NO_SHOW
        and session.starts_at > now
    ):
        raise ValidationFailed.single(
            "status", _("A session can be marked as a no-show only once its start time has passed.")
        )
    was_late = from_status == SessionStatus.CANCELLED and session.cancellation_late
    had_fee = from_status == SessionStatus.NO_SHOW or was_late
    if to_status == SessionStatus.CANCELLED:
        if from_status == SessionStatus.CANCELLED and cancellation is None:
            return StatusChange()
        given = cancellation or Cancellation(by=CancelledBy.PRACTICE)
        at = session.cancelled_at if from_status == SessionStatus.CANCELLED and session.cancelled_at else now
        late = is_late(workspace, starts_at=session.starts_at, cancelled_at=at, by=given.by)
        columns = {
            "cancelled_by": given.by,
            "cancellation_reason": given.reason,
            "cancelled_at": at,
            "cancellation_late": late,
        }
        if was_late and late:
            return StatusChange(columns)  # still late: the fee stays as it is
        return StatusChange(columns, fee_kind=LATE_CANCEL_FEE if late else None, void_fee=had_fee)
    columns = dict(CLEARED) if from_status == SessionStatus.CANCELLED else {}
    if to_status == SessionStatus.NO_SHOW:
        if from_status == SessionStatus.NO_SHOW:
            return StatusChange(columns)
        return StatusChange(columns, fee_kind=NO_SHOW_FEE, void_fee=had_fee)
    return StatusChange(columns, void_fee=had_fee)


def settle_fee(
    *,
    workspace: Workspace,
    session: Session,
    change: StatusChange,
    charge: bool,
    actor: Membership | None,
    actor_label: str = "",
) -> ChargedFee | None:
    """After the status change is written: remove a fee no longer due, charge one that is (unless
    waived). `session` still carries its therapy type (for a percentage)."""
    fees = hooks.fees()
    if change.void_fee:
        fees.void(workspace=workspace, session=session, actor=actor, actor_label=actor_label)
    if change.fee_kind is None or not charge:
        return None
    therapy_type = session.therapy_type if session.therapy_type_id else None
    amount = fee_amount(
        workspace, kind=change.fee_kind, price=therapy_type.default_price if therapy_type else None
    )
    if amount is None:
        return None
    return fees.charge(
        workspace=workspace,
        session=session,
        kind=change.fee_kind,
        amount=amount,
        actor=actor,
        actor_label=actor_label,
    )


def check_waiver(member: Membership, charge_fee: Any) -> bool:
    """`charge_fee` as a bool; waiving a fee (False) is a billing decision: `billing.manage`."""
    if not isinstance(charge_fee, bool):
        raise ValidationFailed.single("charge_fee", _("Must be true or false."))
    if not charge_fee:
        require(member, "billing.manage")
    return charge_fee
