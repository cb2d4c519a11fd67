"""Rate limits of the public booking doors, per client address and per e-mail address.

Fixed-window counters in Django's cache (`cache.add` then `cache.incr`, atomic in the local-memory,
Memcached and Redis backends). The local-memory cache of the default settings counts per process:
behind several processes, configure a shared cache (docs/booking.md). A refused request answers
429 `throttled`, whatever the e-mail address (known or not), so the limit reveals nothing.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from atendo.core.errors import DomainError

# (requests, window in seconds); each can be overridden in settings as BOOKING_THROTTLE_<NAME>.
LIMITS: dict[str, tuple[int, int]] = {
    "read_ip": (240, 60),  # the page's and the API's reads (services, practitioners, slots)
    "book_ip": (20, 3600),  # booking attempts from one address
    "book_email": (5, 3600),  # booking attempts for one e-mail address
    "confirm_ip": (30, 600),  # confirmation-link pages
}


class Throttled(DomainError):
    def __init__(self) -> None:
        super().__init__(
            message=_("Too many requests. Please wait a few minutes and try again."),
            code="throttled",
            status=429,
        )


def _limit(name: str) -> tuple[int, int]:
    return tuple(getattr(settings, f"BOOKING_THROTTLE_{name.upper()}", LIMITS[name]))  # type: ignore[return-value]


def hit(name: str, who: str) -> None:
    """Count one request of kind `name` for `who` (an address or an e-mail); Throttled past the limit."""
    limit, seconds = _limit(name)
    digest = hashlib.sha256(who.strip().lower().encode()).hexdigest()[:32]
    key = f"booking:{name}:{digest}:{int(time.time() // seconds)}"
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
