from __future__ import annotations

from django.urls import path

from atendo.workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("settings/", views.settings_index, name="settings"),
    path("settings/workspace/", views.settings_general, name="settings_general"),
    path("settings/working-hours/", views.settings_hours, name="settings_hours"),
    path("settings/security/", views.settings_security, name="settings_security"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<int:membership_id>/", views.member_change, name="member_change"),
    path("settings/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("settings/members/<int:membership_id>/hours/", views.member_hours, name="member_hours"),
    path(
        "settings/members/<int:membership_id>/video-room/", views.member_video_room, name="member_video_room"
    ),
    path("settings/roles/", views.roles, name="roles"),
    path("settings/roles/new/", views.role_edit, name="role_create"),
    path("settings/roles/<int:role_id>/", views.role_edit, name="role_edit"),
    path("settings/roles/<int:role_id>/delete/", views.role_delete, name="role_delete"),
    path("settings/profile/", views.profile_page, name="profile"),
    path("settings/api-tokens/", views.api_tokens, name="api_tokens"),
    path("settings/api-tokens/<int:token_id>/revoke/", views.api_token_revoke_view, name="api_token_revoke"),
]
