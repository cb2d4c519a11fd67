from __future__ import annotations

from django.urls import path

from atendo.reminders import views

app_name = "reminders"

urlpatterns = [
    path("settings/reminders/", views.settings_page, name="settings"),
    path("notifications/", views.log_page, name="log"),
    path("clients/<int:client_id>/reminders/", views.client_prefs, name="client_prefs"),
]
