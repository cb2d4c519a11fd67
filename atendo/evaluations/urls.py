from __future__ import annotations

from django.urls import path

from atendo.evaluations import views

app_name = "evaluations"

urlpatterns = [
    path("clients/<int:client_id>/evaluations/", views.client_evaluations, name="client_list"),
    path("clients/<int:client_id>/evaluations/new/", views.evaluation_new, name="new"),
    path("sessions/<int:session_id>/evaluations/", views.session_evaluations, name="session_list"),
    path("evaluations/<int:evaluation_id>/", views.evaluation_edit, name="edit"),
    path("evaluations/<int:evaluation_id>/delete/", views.evaluation_delete, name="delete"),
]
