from __future__ import annotations

from django.urls import path

from atendo.clients import views

app_name = "clients"

urlpatterns = [
    path("clients/", views.client_list, name="list"),
    path("clients/new/", views.client_create, name="create"),
    path("clients/import/", views.client_import, name="import"),
    path("clients/<int:client_id>/", views.client_detail, name="detail"),
    path("clients/<int:client_id>/edit/", views.client_edit, name="edit"),
    path("clients/<int:client_id>/archive/", views.client_archive, name="archive"),
    path("clients/<int:client_id>/delete/", views.client_delete, name="delete"),
]
