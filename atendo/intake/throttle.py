"""Rate limits of the public form doors, per client address (`core.throttle`'s counters and
429 `throttled`)."""

from __future__ import annotations

from atendo.core import throttle
from atendo.core.throttle import Throttled

# (requests, window in seconds); each can be overridden in settings as INTAKE_THROTTLE_<NAME>.
LIMITS: dict[str, tuple[int, int]] = {
    "open_ip": (120, 600),  # form pages opened (a wrong token counts too)
    "submit_ip": (30, 600),  # submissions, valid or not
}

__all__ = ["LIMITS", "Throttled", "hit"]


def hit(name: str, who: str) -> None:
    throttle.hit("intake", LIMITS, name, who)
