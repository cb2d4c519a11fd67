"""Rate limits of the portal's public doors: asking for a link (per client address and per e-mail
address) and opening one (per client address); `core.throttle`'s counters and 429 `throttled`."""

from __future__ import annotations

from atendo.core import throttle
from atendo.core.throttle import Throttled

# (requests, window in seconds); each can be overridden in settings as PORTAL_THROTTLE_<NAME>.
LIMITS: dict[str, tuple[int, int]] = {
    "ask_ip": (20, 3600),  # link requests from one address
    "ask_email": (3, 3600),  # link requests for one e-mail address
    "open_ip": (30, 600),  # magic-link pages opened from one address
}

__all__ = ["LIMITS", "Throttled", "hit"]


def hit(name: str, who: str) -> None:
    throttle.hit("portal", LIMITS, name, who)
