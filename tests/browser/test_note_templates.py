"""Browser: the note-templates card (atendo/fields/note_templates.py, issue 14).

An owner adds SOAP to the session fields in one click (the card then shows it added), and a
therapist then writes a session's note in its sections (during: Subjective, Objective; post:
Assessment, Plan). A therapy type's default template (DAP) gives every session of the type its
sections on the record page. In Portuguese, at phone width, BIRP is added with Portuguese names.
"""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

from atendo.fields.models import FieldDefinition, NoteTemplateDefault
from atendo.fields.note_templates import BUILTIN
from atendo.scheduling.models import Session
from tests.factories import ClientFactory, SessionFactory, TherapyTypeFactory, unsealed

pytestmark = pytest.mark.django_db(transaction=True)


def _keys(template: str) -> list[str]:
    return [f["key"] for f in BUILTIN[template]["fields"]]


def test_owner_adds_soap_and_the_therapist_writes_the_note_in_its_sections(
    page, login, owner, therapist, shot
):
    workspace = owner.workspace
    client = ClientFactory(workspace=workspace, name="Maria Silva", practitioners=[therapist])
    session = SessionFactory(client=client, practitioner=therapist, status="completed", days_ago=1)

    login(page, owner)
    page.goto("/w/serena/settings/fields/session/")
    card = page.locator("#note-templates")
    expect(card.get_by_role("heading", name="Note templates")).to_be_visible()
    for name in ("SOAP", "DAP", "BIRP"):
        expect(card.locator(".note-template", has_text=name).first).to_be_visible()
    soap = card.locator('.note-template[data-template="soap"]')
    expect(soap).to_contain_text("Subjective")
    expect(soap).to_contain_text("Plan")
    soap.get_by_role("button", name="Add SOAP").click()
    page.wait_for_load_state("networkidle")
    assert "#note-templates" in page.url
    assert list(
        FieldDefinition.objects.filter(workspace=workspace, scope="session", archived=False)
        .order_by("phase", "order")
        .values_list("key", flat=True)
    ) == ["soap_subjective", "soap_objective", "soap_assessment", "soap_plan"]
    # The fields list now shows the template's sections, each in its phase.
    expect(page.locator('.field-defs[data-reorder-url$="phase=during"]')).to_contain_text("Subjective")
    expect(page.locator('.field-defs[data-reorder-url$="phase=post"]')).to_contain_text("Plan")
    shot(page, "note-templates")
    added = page.locator('.note-template[data-template="soap"]')
    expect(added).to_contain_text("Added")
    expect(added.get_by_role("button", name="Add SOAP")).to_have_count(0)
    dap = page.locator('.note-template[data-template="dap"]')
    expect(dap.get_by_role("button", name="Add DAP")).to_be_visible()
    page.context.clear_cookies()

    # The therapist writes the session's note in the SOAP sections.
    login(page, therapist)
    page.goto(f"/w/serena/sessions/{session.pk}/?phase=during#phases")
    during = page.locator("#panel-during")
    expect(during).to_be_visible()
    during.get_by_label("Subjective", exact=True).fill("Relata ansiedade no trabalho.")
    during.get_by_label("Objective", exact=True).fill("Fala acelerada, postura tensa.")
    during.get_by_role("button", name="Save During the session").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("During the session saved.")).to_be_visible()

    page.goto(f"/w/serena/sessions/{session.pk}/?phase=post#phases")
    post = page.locator("#panel-post")
    expect(post.get_by_label("Assessment", exact=True)).to_be_visible()
    # During's sections stay in their phase.
    expect(post.get_by_label("Subjective", exact=True)).to_have_count(0)
    post.get_by_label("Assessment", exact=True).fill("Boa adesão.")
    post.get_by_label("Plan", exact=True).fill("Registro de pensamentos.")
    post.get_by_role("button", name="Save Post-session").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Post-session saved.")).to_be_visible()

    session = Session.objects.get(pk=session.pk)
    assert unsealed(session, "during_fields") == {
        "soap_subjective": "Relata ansiedade no trabalho.",
        "soap_objective": "Fala acelerada, postura tensa.",
    }
    assert unsealed(session, "post_fields") == {
        "soap_assessment": "Boa adesão.",
        "soap_plan": "Registro de pensamentos.",
    }
    assert page.js_errors == []


def test_a_therapy_type_default_template_gives_its_sessions_the_sections_on_the_record_page(
    page, login, owner, therapist
):
    workspace = owner.workspace
    psico = TherapyTypeFactory(workspace=workspace, name="Psicoterapia")
    client = ClientFactory(workspace=workspace, name="João Souza", practitioners=[therapist])
    session = SessionFactory(
        client=client, practitioner=therapist, therapy_type=psico, status="completed", days_ago=1
    )

    login(page, owner)
    page.goto(f"/w/serena/settings/fields/therapy_type:{psico.pk}/")
    card = page.locator("#note-templates")
    card.get_by_label("Default note template").select_option("dap")
    card.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("The default note template was saved.")).to_be_visible()
    expect(page.get_by_label("Default note template")).to_have_value("dap")
    assert NoteTemplateDefault.objects.get(therapy_type=psico).template == "dap"
    page.context.clear_cookies()

    login(page, therapist)
    page.goto(f"/w/serena/sessions/{session.pk}/record/")
    expect(page.get_by_role("heading", name="Record session")).to_be_visible()
    page.get_by_label("Data", exact=True).fill("Falou sobre o luto.")
    page.get_by_label("Assessment", exact=True).fill("Elaboração em curso.")
    page.get_by_label("Plan", exact=True).fill("Manter frequência semanal.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("Session recorded.")).to_be_visible()

    fields = unsealed(Session.objects.get(pk=session.pk), "therapy_fields")
    assert {k: fields.get(k) for k in _keys("dap")} == {
        "dap_data": "Falou sobre o luto.",
        "dap_assessment": "Elaboração em curso.",
        "dap_plan": "Manter frequência semanal.",
    }
    assert page.js_errors == []


def test_in_portuguese_birp_is_added_with_portuguese_sections_at_phone_width(
    browser, live_server, login, owner, therapist
):
    workspace = owner.workspace
    client = ClientFactory(workspace=workspace, name="Maria Silva", practitioners=[therapist])
    session = SessionFactory(client=client, practitioner=therapist, status="completed", days_ago=1)
    with translation.override("pt-br"):
        behaviour = str(BUILTIN["birp"]["fields"][0]["label"])
        intervention = str(BUILTIN["birp"]["fields"][1]["label"])
        add = translation.gettext("Add %(name)s") % {"name": "BIRP"}
    assert behaviour != "Behaviour"  # the catalogue is translated

    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        locale="en-US",  # the login fixture reads the English form; the switcher then picks Portuguese
        timezone_id="America/Sao_Paulo",
    )
    context.set_default_timeout(10_000)
    try:
        pg = context.new_page()
        login(pg, owner)
        with pg.expect_navigation():
            pg.locator("#lang-select").select_option("pt-br")
        expect(pg.locator("html")).to_have_attribute("lang", "pt-br")
        pg.goto("/w/serena/settings/fields/session/")
        birp = pg.locator('.note-template[data-template="birp"]')
        expect(birp).to_contain_text(behaviour)
        birp.get_by_role("button", name=add).click()
        pg.wait_for_load_state("networkidle")
        labels = dict(
            FieldDefinition.objects.filter(workspace=workspace, key__startswith="birp_").values_list(
                "key", "label"
            )
        )
        assert labels["birp_behavior"] == behaviour and labels["birp_intervention"] == intervention
        # Nothing pushes the page sideways on a phone.
        assert pg.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

        pg.goto(f"/w/serena/sessions/{session.pk}/?phase=during#phases")
        expect(pg.locator("#panel-during").get_by_label(behaviour)).to_be_visible()
        expect(pg.locator("#panel-during").get_by_label(intervention)).to_be_visible()
    finally:
        context.close()
