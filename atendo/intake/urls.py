from __future__ import annotations

from django.urls import path

from atendo.intake import views

app_name = "intake"

urlpatterns = [
    path("clients/<int:client_id>/forms/", views.client_forms, name="client_forms"),
    path("forms/<int:form_request_id>/", views.request_detail, name="request"),
    path("forms/<int:form_request_id>/revoke/", views.request_revoke, name="revoke"),
    path("settings/consent/", views.consent_list, name="consent_list"),
    path("settings/consent/<int:consent_document_id>/", views.consent_edit, name="consent_edit"),
]
