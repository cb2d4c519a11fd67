"""Page URLs. Workspace pages live under /w/<slug>/; the API under /api/v1/."""

from __future__ import annotations

from django.urls import include, path

from atendo.accounts import urls as accounts_urls
from atendo.api import api
from atendo.backup import urls as backup_urls
from atendo.billing import urls as billing_urls
from atendo.booking import public_urls as booking_public_urls
from atendo.booking import urls as booking_urls
from atendo.clients import urls as clients_urls
from atendo.evaluations import urls as evaluations_urls
from atendo.exports import urls as exports_urls
from atendo.feeds import public_urls as feeds_public_urls
from atendo.feeds import urls as feeds_urls
from atendo.fields import urls as fields_urls
from atendo.files import urls as files_urls
from atendo.home import urls as home_urls
from atendo.insights import urls as insights_urls
from atendo.intake import public_urls as intake_public_urls
from atendo.intake import urls as intake_urls
from atendo.portal import public_urls as portal_public_urls
from atendo.portal import urls as portal_urls
from atendo.recording import urls as recording_urls
from atendo.reminders import public_urls as reminders_public_urls
from atendo.reminders import urls as reminders_urls
from atendo.reports import urls as reports_urls
from atendo.retention import urls as retention_urls
from atendo.scheduling import urls as scheduling_urls
from atendo.therapies import urls as therapies_urls
from atendo.trail import urls as trail_urls
from atendo.workspaces import signup
from atendo.workspaces import urls as workspaces_urls
from atendo.workspaces.pages import home

urlpatterns = [
    path("", home, name="home"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(accounts_urls)),
    path("signup/", signup.signup, name="signup"),
    # No log-in: a client's reminder link, the WhatsApp webhook, calendar feeds (the URL is the secret).
    path("", include(reminders_public_urls)),
    path("", include(feeds_public_urls)),
    path("", include(booking_public_urls)),
    path("", include(intake_public_urls)),
    path("", include(portal_public_urls)),
]

# Each app's pages under /w/<workspace_slug>/, in the namespace its `app_name` gives (e.g.
# "scheduling:calendar").
urlpatterns += [
    path("w/<slug:workspace_slug>/", include(urls))
    for urls in (
        home_urls,
        workspaces_urls,
        trail_urls,
        fields_urls,
        files_urls,
        clients_urls,
        therapies_urls,
        scheduling_urls,
        billing_urls,
        evaluations_urls,
        recording_urls,
        reports_urls,
        insights_urls,
        exports_urls,
        reminders_urls,
        feeds_urls,
        retention_urls,
        booking_urls,
        intake_urls,
        portal_urls,
        backup_urls,
    )
]
