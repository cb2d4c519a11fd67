from __future__ import annotations

from django.urls import path

from atendo.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.index, name="index"),
    path("reports/income/", views.income, name="income"),
    path("reports/attendance/", views.attendance, name="attendance"),
    path("reports/clients/", views.clients, name="clients"),
]
