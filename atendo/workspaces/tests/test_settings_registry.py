"""One declaration per workspace setting: the service, the API and the settings page follow it."""

from __future__ import annotations

import datetime as dt

import pytest

from atendo.core.errors import ValidationFailed
from atendo.workspaces import settings_registry
from atendo.workspaces.forms import WorkspaceSettingsForm
from atendo.workspaces.models import Workspace

SETTINGS = settings_registry.SETTINGS


def test_every_setting_is_a_workspace_column():
    columns = {f.name for f in Workspace._meta.concrete_fields}
    assert set(SETTINGS) <= columns


def test_the_api_reads_every_setting_and_only_them(api, assistant):
    # Plus the sections of the apps above (`settings_sections`: online booking's).
    assert set(api(assistant).get("settings").json()) == set(SETTINGS) | {"booking"}


def test_the_patch_schema_offers_every_setting():
    schema = settings_registry.patch_schema(settings_registry.Schema)
    assert set(schema.model_fields) == set(SETTINGS)


def test_the_general_form_has_a_field_for_each_setting_shown_on_it():
    shown = {s.key for s in SETTINGS.values() if s.on_form}
    assert set(WorkspaceSettingsForm().fields) == shown
    assert "working_hours" not in shown  # it has its own page


def test_the_defaults_of_a_new_workspace_pass_their_own_validation(db):
    fresh = Workspace.objects.create(name="Nova", slug="nova")
    values = {key: getattr(fresh, key) for key in SETTINGS}
    assert settings_registry.clean(values).keys() == values.keys()


def test_every_error_names_its_setting_and_all_are_reported_at_once():
    with pytest.raises(ValidationFailed) as info:
        settings_registry.clean({"slot_minutes": 7, "currency": "reais", "colour": "blue"})
    assert sorted(f.path for f in info.value.fields) == ["colour", "currency", "slot_minutes"]


def test_form_values_and_json_values_clean_alike():
    from_json = settings_registry.clean({"default_start_time": "08:30", "slot_minutes": 15})
    from_form = settings_registry.clean({"default_start_time": dt.time(8, 30, 12), "slot_minutes": 15})
    assert from_json == from_form == {"default_start_time": dt.time(8, 30), "slot_minutes": 15}
