"""The REST API: /api/v1/workspaces/{workspace_slug}/…; schema at /api/v1/openapi.json."""

from __future__ import annotations

from importlib import import_module

from ninja import NinjaAPI

from atendo.core import api_errors
from atendo.core.api_auth import AUTH

api = NinjaAPI(
    title="Atendo API",
    version="1",
    description=(
        "Practice management: sessions, clients, custom fields, payments. Authenticate with "
        "`Authorization: Bearer <token>` (create one under Settings › API tokens or with "
        "`manage.py create_api_token`). Errors always answer "
        '`{"error": {"code", "message", "fields": [{"path", "message"}]}}`.'
    ),
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api_errors.install(api)

# Every app with an `api.py` exposing `router` is mounted here, in this order (the docs follow it).
API_APPS = [
    "workspaces",
    "accounts",
    "audit",
    "fields",
    "files",
    "clients",
    "therapies",
    "scheduling",
    "billing",
    "evaluations",
]
for _app in API_APPS:
    try:
        _module = import_module(f"atendo.{_app}.api")
    except ModuleNotFoundError as exc:
        if exc.name != f"atendo.{_app}.api":
            raise
        continue
    api.add_router("/", _module.router)
