from __future__ import annotations

from django.urls import path

from atendo.feeds import views

app_name = "feeds_public"

urlpatterns = [path("feeds/<str:token>.ics", views.feed_ics, name="ics")]
