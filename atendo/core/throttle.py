"""Rate limits of the public doors (online booking, the client portal, intake forms): fixed-window
counters in Django's cache (`cache.add` then `cache.incr`, atomic in the local-memory, Memcached and
Redis backends). The local-memory cache counts per process: behind several processes or nodes,
configure a shared cache (`REDIS_URL`, docs/scaling.md). A refused request answers 429 `throttled`
whoever it was for, so a limit reveals nothing about the address or e-mail counted.

Each app keeps its own table of limits, `{name: (requests, window in seconds)}`, each overridable in
settings as `<PREFIX>_THROTTLE_<NAME>`, and calls `hit(prefix, limits, name, who)`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from atendo.core.errors import DomainError


class Throttled(DomainError):
    def __init__(self) -> None:
        super().__init__(
            message=_("Too many requests. Please wait a few minutes and try again."),
            code="throttled",
            status=429,
        )


def hit(prefix: str, limits: Mapping[str, tuple[int, int]], name: str, who: str) -> None:
    """Count one request of kind `name` for `who` (an address or an e-mail); Throttled past the limit."""
    limit, seconds = getattr(settings, f"{prefix.upper()}_THROTTLE_{name.upper()}", limits[name])
    limit, seconds = int(limit), int(seconds)
    digest = hashlib.sha256(who.strip().lower().encode()).hexdigest()[:32]
    key = f"{prefix}:{name}:{digest}:{int(time.time() // seconds)}"
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
