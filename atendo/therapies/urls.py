from __future__ import annotations

from django.urls import path

from atendo.therapies import views

app_name = "therapies"

urlpatterns = [
    path("settings/therapy-types/", views.therapy_type_list, name="list"),
    path("settings/therapy-types/<int:therapy_type_id>/", views.therapy_type_edit, name="edit"),
    path("settings/therapy-types/<int:therapy_type_id>/active/", views.therapy_type_active, name="active"),
]
