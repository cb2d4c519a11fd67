from __future__ import annotations

from django.urls import path

from atendo.home import views

app_name = "home"

urlpatterns = [
    path("", views.home, name="today"),
    path("home/sessions/<int:session_id>/start/", views.start, name="start"),
    path("home/sessions/<int:session_id>/confirm/", views.confirm, name="confirm"),
    path("home/sessions/<int:session_id>/paid/", views.mark_paid, name="paid"),
]
