from __future__ import annotations

from django.urls import path

from atendo.insights import views

app_name = "insights"

urlpatterns = [
    path("clients/<int:client_id>/progress/", views.client_progress, name="client_progress"),
    path("clients/<int:client_id>/progress/ask/", views.client_ask, name="ask"),
    path("clients/<int:client_id>/progress-report/", views.progress_report, name="report"),
    path("clients/<int:client_id>/progress-report.pdf", views.progress_report_pdf, name="report_pdf"),
    path("sessions/<int:session_id>/briefing/", views.session_briefing, name="briefing"),
    path("search/", views.notes_search, name="search"),
]
