"""The doors without a log-in: the client's link and the WhatsApp webhook."""

from __future__ import annotations

from django.urls import path

from atendo.reminders import views

app_name = "reminders_public"

urlpatterns = [
    path("r/<str:token>/", views.respond, name="respond"),
    path("hooks/whatsapp/", views.whatsapp_webhook, name="whatsapp_webhook"),
]
