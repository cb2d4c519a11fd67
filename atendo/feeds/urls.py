from __future__ import annotations

from django.urls import path

from atendo.feeds import views

app_name = "feeds"

urlpatterns = [
    path("settings/calendar-feed/", views.feeds_page, name="index"),
    path("settings/calendar-feed/<int:feed_id>/revoke/", views.feed_revoke, name="revoke"),
]
