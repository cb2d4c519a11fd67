from __future__ import annotations

from django.urls import path

from atendo.audit import views

app_name = "audit"

urlpatterns = [
    path("settings/audit/", views.audit_list, name="list"),
]
