"""The portal's doors without a staff log-in (a portal session or nothing)."""

from __future__ import annotations

from django.urls import path

from atendo.portal import views

app_name = "portal_public"

urlpatterns = [
    path("portal/enter/<str:token>/", views.enter, name="enter"),
    path("portal/<slug:workspace_slug>/", views.ask, name="ask"),
    path("portal/<slug:workspace_slug>/home/", views.home, name="home"),
    path("portal/<slug:workspace_slug>/sessions/<int:session_id>/cancel/", views.cancel, name="cancel"),
    path("portal/<slug:workspace_slug>/sessions/<int:session_id>/move/", views.move, name="move"),
    path("portal/<slug:workspace_slug>/payments/<int:payment_id>/receipt.pdf", views.receipt, name="receipt"),
    path("portal/<slug:workspace_slug>/logout/", views.logout, name="logout"),
]
