from __future__ import annotations

from django.urls import path

from atendo.files import views

app_name = "files"

urlpatterns = [
    path("files/<int:attachment_id>/", views.download, name="download"),
    path("sessions/<int:session_id>/attachments/", views.session_attachments, name="session_attachments"),
    path(
        "sessions/<int:session_id>/attachments/<int:attachment_id>/delete/",
        views.session_attachment_delete,
        name="session_attachment_delete",
    ),
]
