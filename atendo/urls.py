"""Page URLs. Workspace pages live under /w/<slug>/; the API under /api/v1/."""

from __future__ import annotations

from importlib import import_module

from django.urls import include, path

from atendo.api import api
from atendo.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("atendo.accounts.urls")),
]

# Apps with page URLs under /w/<workspace_slug>/, each in its own namespace (e.g. "scheduling:calendar").
WORKSPACE_PAGE_APPS = [
    "workspaces",
    "audit",
    "fields",
    "files",
    "clients",
    "therapies",
    "scheduling",
    "billing",
    "evaluations",
]
for _app in WORKSPACE_PAGE_APPS:
    try:
        import_module(f"atendo.{_app}.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"atendo.{_app}.urls":
            raise
        continue
    urlpatterns.append(path("w/<slug:workspace_slug>/", include(f"atendo.{_app}.urls", namespace=_app)))
