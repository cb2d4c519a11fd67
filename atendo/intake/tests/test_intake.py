"""Intake and consent forms end to end: sending, the public page (each kind), the field engine's
paths, single submit, expiry, withdrawal, foreign tokens, rate limits, the e-mails, and the barrier
(what an assistant who sent a form can read back: nothing clinical)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from pypdf import PdfReader

from atendo.audit.models import AuditEvent
from atendo.clients.serializers import client_to_json
from atendo.files.models import Attachment
from atendo.intake import links, selectors, services
from atendo.intake.models import ConsentDocument, FormRequest
from atendo.intake.tests.conftest import data_url, signature_png
from atendo.scheduling.models import Session
from tests.factories import ClientFactory, FieldDefinitionFactory, SessionFactory, unsealed

pytestmark = pytest.mark.django_db

SECRET = "HISTORYMARKER-XQZ"
PRIVATE_WEIGHT = 73.4


@pytest.fixture
def client_defs(workspace: Any) -> dict[str, Any]:
    return {
        "city": FieldDefinitionFactory(
            workspace=workspace, scope="client", key="city", clinical=False, required=True
        ),
        "history": FieldDefinitionFactory(
            workspace=workspace, scope="client", key="history", type="textarea"
        ),
    }


@pytest.fixture
def pre_defs(workspace: Any) -> dict[str, Any]:
    return {
        "weight": FieldDefinitionFactory(
            workspace=workspace,
            scope="session",
            phase="pre",
            key="weight",
            type="number",
            validation={"min": 0},
        ),
        "room": FieldDefinitionFactory(
            workspace=workspace, scope="session", phase="pre", key="room", clinical=False
        ),
    }


@pytest.fixture
def alice(workspace: Any, therapist: Any) -> Any:
    return ClientFactory(
        workspace=workspace, name="Alice Cliente", email="alice@example.com", practitioners=[therapist]
    )


def _token(fr: FormRequest) -> str:
    return links.make_token(workspace_id=fr.workspace_id, request_id=fr.pk)


def _path(fr: FormRequest) -> str:
    return links.form_path(_token(fr))


def _send(member: Any, **kwargs: Any) -> FormRequest:
    return services.form_request_create(member=member, send_email=False, **kwargs).form_request


# --- client fields ------------------------------------------------------------------------------


def test_client_fields_end_to_end(
    assistant, therapist, alice, client_defs, page_client, api, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.form_request_create(member=assistant, kind="client_fields", client_id=alice.pk)
    fr = sent.form_request
    assert sent.emailed and fr.practitioner_id == therapist.pk  # the assigned practitioner reads clinical
    link_mail = smtp.messages[-1]
    assert link_mail["To"] == "alice@example.com"
    assert sent.url in link_mail.get_content()
    assert FormRequest.objects.get(pk=fr.pk).token_hash == hashlib.sha256(_token(fr).encode()).hexdigest()

    web = HttpClient()
    page = web.get(_path(fr))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="fields.city"' in html and 'name="fields.history"' in html
    assert page["X-Robots-Tag"] == "noindex"

    # The field engine's paths and messages: a required field left empty.
    bad = web.post(_path(fr), {"fields.city": "", "fields.history": SECRET})
    assert bad.status_code == 422
    assert re.search(r'id="f-fields-city-error">[^<]*required', bad.content.decode(), re.I)
    assert FormRequest.objects.get(pk=fr.pk).submitted_at is None

    with django_capture_on_commit_callbacks(execute=True):
        done = web.post(
            _path(fr), {"fields.city": "Recife", "fields.history": SECRET}, HTTP_USER_AGENT="Phone/1"
        )
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    alice.refresh_from_db()
    assert unsealed(alice, "fields") == {"city": "Recife", "history": SECRET}
    assert SECRET not in str(alice.fields)  # sealed at rest
    fr.refresh_from_db()
    assert fr.locked and fr.submitted_at is not None and fr.submission_user_agent == "Phone/1"
    assert fr.submission_ip == "127.0.0.1"

    # Notified: the practitioner and the sender, with no value in the e-mail.
    note = smtp.messages[-1]
    assert sorted(a.strip() for a in note["To"].split(",")) == [
        "assistant@serena.test",
        "therapist@serena.test",
    ]
    assert "Alice Cliente" in note["Subject"] and "Client details" in note["Subject"]
    body = note.get_content()
    assert SECRET not in body and "Recife" not in body
    assert f"/w/serena/forms/{fr.pk}/" in body

    event = AuditEvent.objects.get(action="intake.submit")
    assert event.actor_id is None and event.changes == {"kind": "client_fields", "keys": ["city", "history"]}

    # Single submit: the link now says so, and a second POST changes nothing.
    again = web.post(_path(fr), {"fields.city": "Olinda", "fields.history": "other"})
    assert again.status_code == 410 and "Already submitted" in again.content.decode()
    assert unsealed(alice, "fields")["city"] == "Recife"

    # The therapist reads the clinical answer; the assistant who sent the form never does.
    assert client_to_json(therapist, alice)["fields"]["history"] == SECRET
    assert "history" not in client_to_json(assistant, alice)["fields"]
    staff_api = api(assistant)
    for path in ("form-requests", f"form-requests/{fr.pk}", f"clients/{alice.pk}"):
        answer = staff_api.get(path)
        assert answer.status_code == 200, path
        assert SECRET not in answer.content.decode(), path
    http = page_client(assistant)
    for url in (
        f"/w/serena/forms/{fr.pk}/",
        f"/w/serena/clients/{alice.pk}/forms/",
        f"/w/serena/clients/{alice.pk}/",
    ):
        answer = http.get(url)
        assert answer.status_code == 200, url
        assert SECRET not in answer.content.decode(), url


def test_the_form_never_shows_stored_values(owner, therapist, alice, client_defs):
    from atendo.clients.services import client_update

    client_update(member=therapist, client_id=alice.pk, data={"fields": {"city": "Natal", "history": SECRET}})
    fr = _send(owner, kind="client_fields", client_id=alice.pk)
    html = HttpClient().get(_path(fr)).content.decode()
    assert SECRET not in html and "Natal" not in html
    # Blank optional answers keep what is stored.
    HttpClient().post(_path(fr), {"fields.city": "Recife", "fields.history": ""})
    assert unsealed(alice, "fields") == {"city": "Recife", "history": SECRET}


def test_a_clinical_form_needs_a_practitioner_who_may_receive_it(assistant, workspace, client_defs):
    nobody = ClientFactory(workspace=workspace, name="Sem Terapeuta")
    with pytest.raises(services.ValidationFailed) as caught:
        _send(assistant, kind="client_fields", client_id=nobody.pk)
    assert caught.value.fields[0].path == "client_id"
    # Administrative fields only: the sender acts.
    fr = _send(assistant, kind="client_fields", client_id=nobody.pk, field_keys=["city"])
    assert fr.practitioner_id == assistant.pk
    HttpClient().post(_path(fr), {"fields.city": "Recife"})
    nobody.refresh_from_db()
    assert nobody.fields == {"city": "Recife"}


# --- pre-session --------------------------------------------------------------------------------


def test_pre_session_end_to_end(
    assistant, therapist, alice, pre_defs, smtp, django_capture_on_commit_callbacks
):
    session = SessionFactory(client=alice, practitioner=therapist, days_ago=-3, pre={"room": "Sala 2"})
    fr = _send(assistant, kind="pre_session", client_id=alice.pk, session_id=session.pk, language="pt-br")
    assert fr.practitioner_id == therapist.pk
    web = HttpClient()
    page = web.get(_path(fr))
    html = page.content.decode()
    assert 'name="fields.pre.weight"' in html and "Sala 2" not in html
    assert '<html lang="pt-br">' in html  # the client's language

    bad = web.post(_path(fr), {"fields.pre.weight": "-3", "fields.pre.room": ""})
    assert bad.status_code == 422
    assert 'id="f-fields-pre-weight-error"' in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ok = web.post(_path(fr), {"fields.pre.weight": str(PRIVATE_WEIGHT), "fields.pre.room": ""})
    assert ok.status_code == 200
    session.refresh_from_db()
    assert unsealed(session, "pre_fields") == {"weight": PRIVATE_WEIGHT, "room": "Sala 2"}
    assert str(PRIVATE_WEIGHT) not in str(session.pre_fields)  # sealed at rest
    assert AuditEvent.objects.filter(action="session.fields_save", actor=therapist.user).exists()
    assert str(PRIVATE_WEIGHT) not in smtp.messages[-1].get_content()


def test_pre_session_refuses_another_clients_session(owner, alice, workspace, pre_defs):
    other = SessionFactory(client=ClientFactory(workspace=workspace), days_ago=-2)
    with pytest.raises(services.ValidationFailed) as caught:
        _send(owner, kind="pre_session", client_id=alice.pk, session_id=other.pk)
    assert caught.value.fields[0].path == "session_id"


def test_a_session_changed_meanwhile_is_not_overwritten(owner, therapist, alice, pre_defs):
    session = SessionFactory(client=alice, practitioner=therapist, days_ago=-3)
    fr = _send(owner, kind="pre_session", client_id=alice.pk, session_id=session.pk)
    from atendo.scheduling.services.phases import session_save_phase

    session_save_phase(
        member=therapist,
        session_id=session.pk,
        phase="pre",
        values={"room": "Sala 9"},
        version=session.version,
    )
    HttpClient().post(_path(fr), {"fields.pre.weight": "70", "fields.pre.room": ""})
    assert unsealed(Session.objects.get(pk=session.pk), "pre_fields") == {"room": "Sala 9", "weight": 70}


# --- consent ------------------------------------------------------------------------------------


@pytest.fixture
def consent_doc(owner: Any) -> ConsentDocument:
    return services.consent_document_create(
        member=owner,
        title="Termo de consentimento",
        text="Eu concordo com o atendimento.\n\nSegundo parágrafo.",
    )


def test_consent_signed_as_pdf(
    owner, assistant, alice, consent_doc, page_client, smtp, django_capture_on_commit_callbacks
):
    fr = _send(
        assistant, kind="consent", client_id=alice.pk, consent_document_id=consent_doc.pk, language="pt-br"
    )
    web = HttpClient()
    html = web.get(_path(fr)).content.decode()
    assert "Eu concordo com o atendimento." in html and "signature-pad" in html

    blank = web.post(_path(fr), {"signature": data_url(signature_png(blank=True)), "name": "", "agree": ""})
    assert blank.status_code == 422
    text = blank.content.decode()
    for field in ("signature", "name", "agree"):
        assert f'id="f-{field}-error"' in text, field
    not_png = web.post(
        _path(fr), {"signature": "data:image/png;base64,R0lGODlhAQABAAAAACw=", "name": "Alice", "agree": "on"}
    )
    assert 'id="f-signature-error"' in not_png.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        ok = web.post(
            _path(fr), {"signature": data_url(signature_png()), "name": "Alice Maria Cliente", "agree": "on"}
        )
    assert ok.status_code == 200
    fr.refresh_from_db()
    digest = hashlib.sha256(consent_doc.text.encode()).hexdigest()
    assert fr.text_sha256 == digest and fr.signer_name == "Alice Maria Cliente"
    pdf_row = Attachment.objects.get(pk=fr.consent_pdf_id)
    assert (
        pdf_row.client_id == alice.pk and not pdf_row.clinical and pdf_row.content_type == "application/pdf"
    )

    # Staff download it through the access-checked view (an administrative file: the front desk too).
    download = page_client(assistant).get(f"/w/serena/files/{pdf_row.pk}/")
    assert download.status_code == 200
    raw = b"".join(download.streaming_content)
    reader = PdfReader(io.BytesIO(raw))
    pdf_text = "\n".join(p.extract_text() for p in reader.pages).replace("\n", " ")
    local = fr.submitted_at.astimezone(alice.workspace.tz)
    assert "Alice Maria Cliente" in pdf_text
    assert digest in pdf_text.replace(" ", "")
    assert local.strftime("%d/%m/%Y") in pdf_text  # pt-BR dates
    assert (
        "127.0.0.1" in pdf_text
        and "Termo de consentimento" in pdf_text
        and ("Versão 1" in pdf_text or "Version 1" in pdf_text)
    )
    assert any(
        "/Image" in str(page.get("/Resources", {}).get("/XObject", {}).get_object().values()) or page.images
        for page in reader.pages
    )
    assert HttpClient().get(_path(fr)).status_code == 410
    assert "Alice Cliente" in smtp.messages[-1]["Subject"]


def test_consent_text_is_immutable_once_sent(owner, alice, consent_doc):
    fr = _send(owner, kind="consent", client_id=alice.pk, consent_document_id=consent_doc.pk)
    new = services.consent_document_update(
        member=owner, document_id=consent_doc.pk, changes={"text": "Novo texto."}
    )
    assert new.pk != consent_doc.pk and new.version == 2 and new.previous_id == consent_doc.pk
    consent_doc.refresh_from_db()
    assert consent_doc.superseded and consent_doc.text.startswith("Eu concordo")
    assert "Eu concordo" in HttpClient().get(_path(fr)).content.decode()  # the sent version
    # An unused version is edited in place.
    same = services.consent_document_update(member=owner, document_id=new.pk, changes={"title": "Termo v2"})
    assert same.pk == new.pk and same.version == 2


# --- closed links -------------------------------------------------------------------------------


def test_expired_link(owner, alice, client_defs):
    fr = _send(owner, kind="client_fields", client_id=alice.pk)
    FormRequest.objects.filter(pk=fr.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    page = HttpClient().get(_path(fr))
    assert page.status_code == 410 and "expired" in page.content.decode()
    assert HttpClient().post(_path(fr), {"fields.city": "X"}).status_code == 410
    assert selectors.open_requests_for_client(alice) == []


def test_revoked_link(owner, alice, client_defs, api):
    fr = _send(owner, kind="client_fields", client_id=alice.pk)
    answer = api(owner).post(f"form-requests/{fr.pk}/revoke")
    assert answer.status_code == 200 and answer.json()["status"] == "revoked" and answer.json()["url"] is None
    page = HttpClient().get(_path(fr))
    assert page.status_code == 410 and "withdrawn" in page.content.decode()


def test_unknown_and_foreign_tokens(owner, outsider, alice, client_defs):
    fr = _send(owner, kind="client_fields", client_id=alice.pk)
    forged = links.make_token(workspace_id=outsider.workspace_id, request_id=fr.pk)
    real = _token(fr)
    altered = real[:-1] + ("B" if real[-1] == "A" else "A")  # never the real token by chance
    for token in (forged, "x" * 43, altered):
        page = HttpClient().get(links.form_path(token))
        assert page.status_code == 404 and "does not work" in page.content.decode()
        assert "Serena" not in page.content.decode()


def test_the_public_page_is_rate_limited(owner, alice, client_defs, settings):
    settings.INTAKE_THROTTLE_OPEN_IP = (3, 600)
    fr = _send(owner, kind="client_fields", client_id=alice.pk)
    web = HttpClient()
    assert [web.get(_path(fr)).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_open_requests_for_the_portal(owner, alice, client_defs, consent_doc):
    first = _send(owner, kind="client_fields", client_id=alice.pk)
    second = _send(owner, kind="consent", client_id=alice.pk, consent_document_id=consent_doc.pk)
    services.form_request_revoke(member=owner, request_id=first.pk)
    found = selectors.open_requests_for_client(alice)
    assert [r.pk for r in found] == [second.pk]
    assert found[0].title == "Termo de consentimento"
    assert found[0].url.endswith(_path(second)) and found[0].url.startswith("http")


# --- API ----------------------------------------------------------------------------------------


def test_api_send_list_get(owner, assistant, alice, client_defs, api):
    staff = api(assistant)
    bad = staff.post("form-requests", {"kind": "nope", "client_id": alice.pk})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == "kind"
    missing = staff.post("form-requests", {"kind": "pre_session", "client_id": alice.pk})
    assert missing.status_code == 422 and missing.json()["error"]["fields"][0]["path"] == "session_id"
    keys = staff.post(
        "form-requests", {"kind": "client_fields", "client_id": alice.pk, "field_keys": ["nope"]}
    )
    assert keys.json()["error"]["fields"][0]["path"] == "field_keys"
    made = staff.post("form-requests", {"kind": "client_fields", "client_id": alice.pk, "send_email": False})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "open" and body["url"].endswith("/") and body["emailed"] is False
    assert body["field_keys"] == ["city", "history"]
    listed = staff.get("form-requests", client_id=alice.pk)
    assert [i["id"] for i in listed.json()["items"]] == [body["id"]]
    assert staff.get("form-requests", status="submitted").json()["items"] == []
    assert staff.get("form-requests", status="bogus").status_code == 422
    assert staff.get(f"form-requests/{body['id']}").json()["title"] == "Your details"


def test_api_consent_documents(owner, assistant, api):
    made = api(owner).post("consent-documents", {"title": "Termo", "text": "Texto"})
    assert made.status_code == 201
    assert api(assistant).post("consent-documents", {"title": "T", "text": "x"}).status_code == 403
    empty = api(owner).post("consent-documents", {"title": " ", "text": ""})
    assert sorted(f["path"] for f in empty.json()["error"]["fields"]) == ["text", "title"]
    doc_id = made.json()["id"]
    assert api(assistant).get(f"consent-documents/{doc_id}").json()["version"] == 1
    changed = api(owner).patch(f"consent-documents/{doc_id}", {"archived": True})
    assert changed.json()["archived"] is True


def test_an_outsider_reaches_nothing(owner, outsider, alice, client_defs, api):
    fr = _send(owner, kind="client_fields", client_id=alice.pk)
    assert api(outsider, "serena").get(f"form-requests/{fr.pk}").status_code == 404
    assert api(outsider).get(f"form-requests/{fr.pk}").status_code == 404


# --- staff pages ----------------------------------------------------------------------------------


def test_send_a_form_from_the_client_page(assistant, alice, client_defs, page_client):
    http = page_client(assistant)
    page = http.get(f"/w/serena/clients/{alice.pk}/")
    assert f"/w/serena/clients/{alice.pk}/forms/" in page.content.decode()
    answer = http.post(
        f"/w/serena/clients/{alice.pk}/forms/",
        {"kind": "client_fields", "expires_in_days": 7, "language": "en"},
    )
    fr = FormRequest.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/w/serena/forms/{fr.pk}/"
    detail = http.get(answer["Location"]).content.decode()
    assert fr.url in detail
    refused = http.post(
        f"/w/serena/clients/{alice.pk}/forms/",
        {"kind": "pre_session", "expires_in_days": 7, "language": "en"},
    )
    assert refused.status_code == 422 and "Choose the session" in refused.content.decode()


def test_consent_settings_pages(owner, assistant, page_client):
    http = page_client(owner)
    made = http.post("/w/serena/settings/consent/", {"title": "Termo", "text": "Texto do termo"})
    assert made.status_code == 302
    doc = ConsentDocument.objects.get()
    assert "Termo" in http.get(f"/w/serena/settings/consent/{doc.pk}/").content.decode()
    assert page_client(assistant).get("/w/serena/settings/consent/").status_code == 403


# --- bad input ----------------------------------------------------------------------------------


def test_malformed_posts_answer_4xx(owner, alice, client_defs, consent_doc, settings):
    settings.DEBUG = False
    fields = _send(owner, kind="client_fields", client_id=alice.pk)
    consent = _send(owner, kind="consent", client_id=alice.pk, consent_document_id=consent_doc.pk)
    web = HttpClient(raise_request_exception=False)
    broken = web.post(
        _path(fields), data=b"--XYZ\r\nnot a part", content_type="multipart/form-data; boundary=XYZ"
    )
    assert broken.status_code in (400, 422)  # refused, never a 500
    odd = web.post(
        _path(fields), {"fields.city": "\x00" * 3, "fields.history": ["a", "b"], "fields.other": "x"}
    )
    assert odd.status_code in (200, 422)
    huge = "data:image/png;base64," + "A" * (services.MAX_SIGNATURE_BYTES * 2)
    for signature in (huge, "data:image/png;base64,@@@", "data:image/gif;base64,R0lGOD", "", "x" * 50):
        answer = web.post(_path(consent), {"signature": signature, "name": "Alice", "agree": "on"})
        assert answer.status_code == 422, signature[:30]
        assert 'id="f-signature-error"' in answer.content.decode()
    assert FormRequest.objects.get(pk=consent.pk).submitted_at is None


def test_lists_take_a_constant_number_of_queries(
    owner, alice, client_defs, consent_doc, api, django_assert_max_num_queries
):
    for _ in range(3):
        _send(owner, kind="client_fields", client_id=alice.pk)
        _send(owner, kind="consent", client_id=alice.pk, consent_document_id=consent_doc.pk)
    staff = api(owner)
    with django_assert_max_num_queries(8):
        assert len(staff.get("form-requests").json()["items"]) == 6
    with django_assert_max_num_queries(3):
        assert len(selectors.open_requests_for_client(alice)) == 6


# --- the link by SMS ------------------------------------------------------------------------------


@pytest.fixture
def sms(settings: Any) -> Any:
    from atendo.reminders.tests.servers import sms_gateway

    for fake in sms_gateway():
        settings.SMS_WEBHOOK_URL = fake.url
        settings.SMS_WEBHOOK_TOKEN = fake.token
        settings.SMS_WEBHOOK_SECRET = fake.secret
        yield fake


def test_the_link_by_sms(owner, alice, client_defs, sms, api, django_capture_on_commit_callbacks):
    staff = api(owner)
    no_phone = staff.post("form-requests", {"kind": "client_fields", "client_id": alice.pk, "send_sms": True})
    assert no_phone.status_code == 422 and no_phone.json()["error"]["fields"][0]["path"] == "send_sms"
    alice.phone = "(81) 98765-4321"
    alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        made = staff.post(
            "form-requests",
            {"kind": "client_fields", "client_id": alice.pk, "send_sms": True, "send_email": False},
        )
    assert made.status_code == 201 and made.json()["texted"] is True
    assert [r["to"] for r in sms.requests] == ["+5581987654321"]
    assert made.json()["url"] in sms.requests[0]["text"] and "Your details" in sms.requests[0]["text"]
    # A request withdrawn before the worker runs sends nothing.
    fr = FormRequest.objects.get(pk=made.json()["id"])
    services.form_request_revoke(member=owner, request_id=fr.pk)
    assert services.link_send(form_request_id=fr.pk, channel="sms") == "closed"
    assert len(sms.requests) == 1


def test_sms_needs_a_gateway(owner, alice, client_defs, settings):
    settings.SMS_WEBHOOK_URL = ""
    alice.phone = "(81) 98765-4321"
    alice.save()
    with pytest.raises(services.ValidationFailed) as caught:
        _send(owner, kind="client_fields", client_id=alice.pk, send_sms=True)
    assert caught.value.fields[0].path == "send_sms"


def test_the_language_switcher_wins_over_the_forms_language(owner, alice, client_defs, settings):
    fr = _send(owner, kind="client_fields", client_id=alice.pk, language="pt-br")
    web = HttpClient()
    assert '<html lang="pt-br">' in web.get(_path(fr)).content.decode()
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en">' in web.get(_path(fr)).content.decode()
