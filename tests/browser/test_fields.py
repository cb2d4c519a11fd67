"""Browser: reordering field definitions by drag and drop (and the keyboard buttons)."""

from __future__ import annotations

import pytest

from atendo.fields.engine import definitions_for
from atendo.fields.models import FieldDefinition

pytestmark = pytest.mark.django_db(transaction=True)


def keys(workspace):
    return [d.key for d in definitions_for(workspace=workspace, scope="session", phase="pre")]


@pytest.fixture
def three_fields(workspace):
    for order, key in enumerate(("alpha", "beta", "gamma"), start=1):
        FieldDefinition.objects.create(
            workspace=workspace,
            scope="session",
            phase="pre",
            key=key,
            label=key.title(),
            type="text",
            order=order,
        )


def test_owner_reorders_fields_by_drag(page, login, owner, three_fields, shot):
    login(page, owner)
    page.goto("/w/serena/settings/fields/session/")
    items = page.locator('[data-phase="pre"] .field-def')
    assert items.count() == 3
    items.nth(2).drag_to(items.nth(0), target_position={"x": 20, "y": 2})
    page.wait_for_selector("#reorder-status:has-text('Order saved.')")
    assert keys(owner.workspace) == ["gamma", "alpha", "beta"]
    assert page.get_by_role("button", name="Move Gamma up").is_disabled()
    assert page.get_by_role("button", name="Move Beta down").is_disabled()
    shot(page, "field-settings-reordered")
    page.reload()
    labels = page.locator('[data-phase="pre"] .field-def strong').all_inner_texts()
    assert labels == ["Gamma", "Alpha", "Beta"]
    assert page.js_errors == []


def test_keyboard_buttons_move_a_field(page, login, owner, three_fields):
    login(page, owner)
    page.goto("/w/serena/settings/fields/session/")
    page.get_by_role("button", name="Move Alpha down").click()
    page.wait_for_load_state("networkidle")
    assert keys(owner.workspace) == ["beta", "alpha", "gamma"]


def test_owner_creates_a_field_from_the_settings_page(page, login, owner):
    login(page, owner)
    page.goto("/w/serena/settings/fields/client/")
    page.get_by_role("link", name="Add a field").click()
    page.locator("#id_key").fill("referral")
    page.locator("#id_label").fill("Referral")
    page.locator("#id_type").select_option("select")
    page.locator("#id_options").fill("friend | A friend\nweb | Website")
    page.get_by_role("button", name="Create field").click()
    page.wait_for_url("**/settings/fields/client/")
    definition = FieldDefinition.objects.get(key="referral")
    assert definition.scope == "client" and [o["value"] for o in definition.options] == ["friend", "web"]
