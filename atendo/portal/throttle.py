"""Rate limits of the portal's public doors: asking for a link (per client address and per e-mail
address) and opening one (per client address).

Fixed-window counters in Django's cache, as online booking's (`booking.throttle`, whose `Throttled`
error, 429 `throttled`, is reused): behind several processes, configure a shared cache. A refused
request answers the same whatever the e-mail address, so the limit reveals nothing.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from atendo.booking.throttle import Throttled

# (requests, window in seconds); each can be overridden in settings as PORTAL_THROTTLE_<NAME>.
LIMITS: dict[str, tuple[int, int]] = {
    "ask_ip": (20, 3600),  # link requests from one address
    "ask_email": (3, 3600),  # link requests for one e-mail address
    "open_ip": (30, 600),  # magic-link pages opened from one address
}

__all__ = ["LIMITS", "Throttled", "hit"]


def _limit(name: str) -> tuple[int, int]:
    limit, seconds = getattr(settings, f"PORTAL_THROTTLE_{name.upper()}", LIMITS[name])
    return int(limit), int(seconds)


def hit(name: str, who: str) -> None:
    """Count one request of kind `name` for `who`; `Throttled` past the limit."""
    limit, seconds = _limit(name)
    digest = hashlib.sha256(who.strip().lower().encode()).hexdigest()[:32]
    key = f"portal:{name}:{digest}:{int(time.time() // seconds)}"
    if cache.add(key, 1, timeout=seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=seconds + 1)
            count = 1
    if count > limit:
        raise Throttled
