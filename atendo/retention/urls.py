from __future__ import annotations

from django.urls import path

from atendo.retention import views

app_name = "retention"

urlpatterns = [
    path("retention/", views.index, name="index"),
    path("retention/clients/<int:client_id>/", views.client, name="client"),
]
