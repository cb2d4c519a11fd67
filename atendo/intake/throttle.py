"""Rate limits of the public form doors, per client address: fixed windows in Django's cache, the
same mechanism and the same 429 `throttled` answer as online booking (`booking.throttle`; its
counters are keyed by its own names, so intake keeps its own small table)."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from atendo.booking.throttle import Throttled

# (requests, window in seconds); each can be overridden in settings as INTAKE_THROTTLE_<NAME>.
LIMITS: dict[str, tuple[int, int]] = {
    "open_ip": (120, 600),  # form pages opened (a wrong token counts too)
    "submit_ip": (30, 600),  # submissions, valid or not
}

__all__ = ["Throttled", "hit"]


def hit(name: str, who: str) -> None:
    limit, seconds = tuple(getattr(settings, f"INTAKE_THROTTLE_{name.upper()}", LIMITS[name]))
    digest = hashlib.sha256(who.strip().lower().encode()).hexdigest()[:32]
    key = f"intake:{name}:{digest}:{int(time.time() // seconds)}"
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
