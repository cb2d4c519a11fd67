from __future__ import annotations

from django.urls import path

from atendo.billing import views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/new/", views.invoice_new, name="invoice_new"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:invoice_id>/<slug:action>/", views.invoice_action, name="invoice_action"),
    path("clients/<int:client_id>/payments/", views.client_payments, name="client_payments"),
    path("payments/<int:payment_id>/paid/", views.payment_mark_paid, name="payment_mark_paid"),
    path("sessions/<int:session_id>/record/", views.record, name="record"),
    path("sessions/<int:session_id>/attachments/", views.session_attachments, name="session_attachments"),
    path(
        "sessions/<int:session_id>/attachments/<int:attachment_id>/delete/",
        views.session_attachment_delete,
        name="session_attachment_delete",
    ),
]
