"""The REST API: /api/v1/workspaces/{workspace_slug}/…; schema at /api/v1/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

from atendo.billing import api as billing_api
from atendo.booking import api as booking_api
from atendo.clients import api as clients_api
from atendo.core import api_errors
from atendo.evaluations import api as evaluations_api
from atendo.exports import api as exports_api
from atendo.feeds import api as feeds_api
from atendo.fields import api as fields_api
from atendo.files import api as files_api
from atendo.home import api as home_api
from atendo.insights import api as insights_api
from atendo.intake import api as intake_api
from atendo.portal import api as portal_api
from atendo.recording import api as recording_api
from atendo.reminders import api as reminders_api
from atendo.reports import api as reports_api
from atendo.retention import api as retention_api
from atendo.scheduling import api as scheduling_api
from atendo.therapies import api as therapies_api
from atendo.trail import api as trail_api
from atendo.workspaces import account_api
from atendo.workspaces import api as workspaces_api
from atendo.workspaces.api_auth import AUTH

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

# Every app's router, in this order (the docs follow it).
for _router in (
    workspaces_api.router,
    account_api.router,
    trail_api.router,
    fields_api.router,
    files_api.router,
    clients_api.router,
    therapies_api.router,
    scheduling_api.router,
    billing_api.router,
    evaluations_api.router,
    recording_api.router,
    reports_api.router,
    insights_api.router,
    home_api.router,
    exports_api.router,
    reminders_api.router,
    feeds_api.router,
    retention_api.router,
    booking_api.router,
    intake_api.router,
    portal_api.router,
):
    api.add_router("/", _router)
