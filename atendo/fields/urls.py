from __future__ import annotations

from django.urls import path

from atendo.fields import views

app_name = "fields"

urlpatterns = [
    path("settings/note-templates/save/", views.note_template_save, name="note_template_save"),
    path(
        "settings/note-templates/<int:note_template_id>/delete/",
        views.note_template_delete,
        name="note_template_delete",
    ),
    path(
        "settings/fields/<str:scope>/note-templates/add/", views.note_template_add, name="note_template_add"
    ),
    path(
        "settings/fields/<str:scope>/note-templates/default/",
        views.note_template_default,
        name="note_template_default",
    ),
    path("settings/fields/<str:scope>/", views.field_list, name="list"),
    path("settings/fields/<str:scope>/new/", views.field_create, name="create"),
    path("settings/fields/<str:scope>/reorder/", views.field_reorder, name="reorder"),
    path("settings/fields/<str:scope>/<int:field_id>/edit/", views.field_edit, name="edit"),
    path("settings/fields/<str:scope>/<int:field_id>/archive/", views.field_archive, name="archive"),
    path("settings/fields/<str:scope>/<int:field_id>/nested/", views.field_nested, name="nested"),
]
