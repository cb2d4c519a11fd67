from __future__ import annotations

from django.urls import path

from atendo.backup import views

app_name = "backup"

urlpatterns = [
    path("backup/", views.index, name="index"),
    path("backup/new/", views.create, name="create"),
]
