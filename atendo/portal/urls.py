from __future__ import annotations

from django.urls import path

from atendo.portal import views

app_name = "portal"

urlpatterns = [
    path("clients/<int:client_id>/portal/", views.client_portal, name="client"),
]
