"""Rate limits of the public booking doors, per client address and per e-mail address
(`core.throttle`: fixed windows in the cache, 429 `throttled` whatever the e-mail address)."""

from __future__ import annotations

from atendo.core import throttle
from atendo.core.throttle import Throttled

# (requests, window in seconds); each can be overridden in settings as BOOKING_THROTTLE_<NAME>.
LIMITS: dict[str, tuple[int, int]] = {
    "read_ip": (240, 60),  # the page's and the API's reads (services, practitioners, slots)
    "book_ip": (20, 3600),  # booking attempts from one address
    "book_email": (5, 3600),  # booking attempts for one e-mail address
    "confirm_ip": (30, 600),  # confirmation-link pages
}

__all__ = ["LIMITS", "Throttled", "hit"]


def hit(name: str, who: str) -> None:
    throttle.hit("booking", LIMITS, name, who)
