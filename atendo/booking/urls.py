from __future__ import annotations

from django.urls import path

from atendo.booking import views

app_name = "booking"

urlpatterns = [
    path("settings/booking/", views.settings_page, name="settings"),
    path("bookings/", views.requests_page, name="requests"),
]
