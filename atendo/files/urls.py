from __future__ import annotations

from django.urls import path

from atendo.files import views

app_name = "files"

urlpatterns = [
    path("files/<int:attachment_id>/", views.download, name="download"),
]
