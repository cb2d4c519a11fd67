from __future__ import annotations

from django.urls import path

from atendo.recording import views

app_name = "recording"

urlpatterns = [
    path("sessions/<int:session_id>/record/", views.record, name="record"),
    path("sessions/<int:session_id>/sign/", views.sign, name="sign"),
    path("sessions/<int:session_id>/addenda/", views.addendum, name="addendum"),
    path("sessions/<int:session_id>/private-note/", views.private_note, name="private_note"),
]
