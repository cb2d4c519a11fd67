from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from atendo.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/language/", views.set_language, name="account_set_language"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("account/confirm/", views.confirm, name="account_confirm"),
    path("account/security/", views.security, name="account_security"),
    path("account/security/two-step/", views.mfa_setup, name="account_mfa_setup"),
    path("account/security/two-step/off/", views.mfa_disable, name="account_mfa_disable"),
    path("account/security/recovery-codes/", views.recovery_codes, name="account_recovery_codes"),
    path("account/security/recovery-codes/new/", views.recovery_codes_new, name="account_recovery_codes_new"),
    path("account/security/sessions/sign-out/", views.session_sign_out, name="account_session_sign_out"),
    path(
        "account/security/sessions/sign-out-all/", views.sessions_sign_out, name="account_sessions_sign_out"
    ),
    path("account/session/", views.session_status, name="account_session_status"),
    path("account/session/keepalive/", views.session_keepalive, name="account_session_keepalive"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
