from __future__ import annotations

from django.urls import path

from atendo.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("sessions/", views.calendar, name="calendar"),
]
