"""`atendo.E010`: the master key that unwraps every workspace's data keys (`clinical.crypto`).

Production (`ATENDO_PRODUCTION=1`) refuses to start without a valid `ATENDO_MASTER_KEY`: `migrate`,
`runserver` and `check --deploy` (scripts/start.sh) all run this check, and the key is also
required at the first encryption, so nothing can seal with a made-up key. In development a key is
generated under `var/` on first use, with a warning (see README, "The master key").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from atendo.clinical.crypto import check_master_key


@register("atendo")
def master_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not getattr(settings, "PRODUCTION", False) and not settings.ATENDO_MASTER_KEY:
        return []  # development: generated under var/ at first use, with a warning
    problem = check_master_key()
    if problem is None:
        return []
    return [
        Error(
            problem,
            hint="Generate one with `manage.py rotate_keys --new-master-key`, keep it safe (without "
            "it the clinical records are unreadable) and set ATENDO_MASTER_KEY.",
            id="atendo.E010",
        )
    ]
