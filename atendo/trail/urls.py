from __future__ import annotations

from django.urls import path

from atendo.trail import views

app_name = "trail"

urlpatterns = [
    path("settings/audit/", views.audit_list, name="list"),
    path("settings/audit/clients/<int:client_id>/reads/", views.client_reads, name="client_reads"),
]
