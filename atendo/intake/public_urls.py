"""The door without a log-in: a form request's link."""

from __future__ import annotations

from django.urls import path

from atendo.intake import public_views

app_name = "intake_public"

urlpatterns = [
    path("f/<str:token>/", public_views.form, name="form"),
]
