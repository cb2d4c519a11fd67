"""System checks for a deployment that Django's own checklist does not know about.

`atendo.E001`: production stores static files through WhiteNoise's manifest storage, which renders
every `{% static %}` from `staticfiles.json`; started without `collectstatic`, that file is missing
and every page answers 500, while Django's `check --deploy` says nothing. Deploy-tagged, so it
runs with `check --deploy` (scripts/start.sh runs it right after collectstatic) and never blocks
`collectstatic` or `migrate` themselves.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import CheckMessage, Error, register
from django.core.files.storage import storages


@register("atendo", deploy=True)
def static_manifest_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin) or storage.read_manifest() is not None:
        return []
    return [
        Error(
            f"The static files manifest ({storage.manifest_name}) is missing from STATIC_ROOT "
            f"({settings.STATIC_ROOT}): every page would answer 500.",
            hint="Run `manage.py collectstatic --noinput` before starting the server "
            "(scripts/start.sh does).",
            id="atendo.E001",
        )
    ]
