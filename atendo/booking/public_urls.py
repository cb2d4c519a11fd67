"""The doors without a log-in: the booking page and the link in the booking e-mail."""

from __future__ import annotations

from django.urls import path

from atendo.booking import views

app_name = "booking_public"

urlpatterns = [
    path("book/confirm/<str:token>/", views.confirm, name="confirm"),
    path("book/<slug:workspace_slug>/", views.book, name="book"),
]
