from __future__ import annotations

from django.urls import path

from atendo.scheduling import team_day, views

app_name = "scheduling"

urlpatterns = [
    path("sessions/", views.calendar, name="calendar"),
    path("sessions/list/", views.session_list, name="list"),
    path("sessions/team/", team_day.team_day, name="team_day"),
    path("sessions/new/", views.session_create, name="create"),
    path("sessions/client-options/", views.client_options, name="client_options"),
    path("sessions/client/<int:client_id>/", views.client_sessions, name="client_sessions"),
    path("sessions/<int:session_id>/", views.session_detail, name="detail"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="edit"),
    path("sessions/<int:session_id>/status/", views.session_status, name="status"),
    path("sessions/<int:session_id>/confirm/", views.session_confirm, name="confirm"),
    path("sessions/<int:session_id>/fields/<str:phase>/", views.session_phase, name="phase"),
    path("sessions/<int:session_id>/delete/", views.session_delete, name="delete"),
]
