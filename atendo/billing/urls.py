from __future__ import annotations

from django.urls import path

from atendo.billing import views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/new/", views.invoice_new, name="invoice_new"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path(
        "invoices/<int:invoice_id>/issue/confirm/", views.invoice_issue_confirm, name="invoice_issue_confirm"
    ),
    path("invoices/<int:invoice_id>/<slug:action>/", views.invoice_action, name="invoice_action"),
    path("clients/<int:client_id>/payments/", views.client_payments, name="client_payments"),
    path("payments/<int:payment_id>/paid/", views.payment_mark_paid, name="payment_mark_paid"),
    path("payments/", views.payments_worklist, name="payments"),
    path("payments/mark-paid/", views.payments_mark_paid, name="payments_mark_paid"),
    path("payments/<int:payment_id>/receipt.pdf", views.payment_receipt, name="payment_receipt"),
    path("invoices/<int:invoice_id>/receipt.pdf", views.invoice_receipt, name="invoice_receipt"),
    path("clients/<int:client_id>/balance/", views.client_balance, name="client_balance"),
    path("settings/pix/", views.pix_settings, name="pix_settings"),
    path("sessions/<int:session_id>/payment/", views.session_payment, name="session_payment"),
]
