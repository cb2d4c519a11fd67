from __future__ import annotations

from django.urls import path

from atendo.exports import views

app_name = "exports"

urlpatterns = [
    path("exports/", views.index, name="index"),
    path("exports/new/", views.create, name="create"),
    path("exports/client/<int:client_id>/", views.client, name="client"),
    path("exports/<int:export_id>/delete/", views.delete, name="delete"),
]
