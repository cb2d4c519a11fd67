"""The client record export, format by format, on the clinical canary's planted practice (a
marker in every clinical column; `tests/canary_data.py`): each persona's own exports of the
clinical client, built by the worker as that persona (the planted practice asks for them through
the API), downloaded through the API and read back — JSON parsed, the PDF read with pypdf, the FHIR
Bundle validated with `fhir.resources`, the ZIP opened.

The owner and the assigned therapist get the whole record; the assistant, the unassigned
therapist and the auditor (every non-clinical permission) get what they may read, the clinical
parts named in `withheld`, and not one marker, number or year of the clinical content (the read
canary's own `leaks`). Private notes are never exported, whoever asks.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from atendo.exports import runner, services
from atendo.exports.client.record import CLINICAL_PARTS
from atendo.exports.models import Export
from atendo.files.models import Attachment
from atendo.recording.signing import addendum_add, session_sign
from atendo.scheduling.models import Session
from atendo.scheduling.services.private_notes import private_note_save
from conftest import ApiClient
from tests.canary_data import EXPORT_FORMATS, NUMBERS, Planted, marker, planted_practice
from tests.test_clinical_canary import Response, leaks

# One worker builds the module's planted practice once (`make test` runs `--dist loadgroup`).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("export-formats")]

READERS = ("owner", "therapist")
NON_READERS = ("assistant", "other_therapist", "auditor")


@pytest.fixture(scope="module")
def planted(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Planted]:
    yield from planted_practice(django_db_blocker, tmp_path_factory, ApiClient)


def export_of(planted: Planted, who: str, format_: str) -> Export:
    return Export.objects.get(pk=planted.export_ids[who][EXPORT_FORMATS.index(format_)])


def download(planted: Planted, who: str, format_: str) -> Any:
    export = export_of(planted, who, format_)
    response = ApiClient(planted.members[who]).get(f"exports/{export.pk}/download")
    assert response.status_code == 200, response.content[:300]
    return response


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def pdf_text(raw: bytes) -> str:
    reader = PdfReader(io.BytesIO(raw))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def zip_texts(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def no_leaks(raw: bytes, text: str = "", parsed: Any = None) -> list[str]:
    """The read canary's verdict on a file: every trace of the planted clinical content in it."""
    everything = "\n".join([raw.decode("utf-8", errors="replace"), raw.decode("latin-1"), text])
    return leaks(Response(url="export", status=200, content_type="", text=everything, json=parsed))


# --- every persona's planted exports ---------------------------------------------------------------


@pytest.mark.parametrize("who", [*READERS, *NON_READERS])
def test_every_planted_export_is_ready_with_its_size_and_digest(planted, who):
    for format_ in EXPORT_FORMATS:
        export = export_of(planted, who, format_)
        assert export.status == "ready" and export.requested_by_id == planted.members[who].pk
        response = download(planted, who, format_)
        raw = body(response)
        assert len(raw) == export.size == int(response["Content-Length"])
        assert response["Content-Disposition"] == f'attachment; filename="{export.file_name}"'
        assert export.file_name.startswith(f"client-{planted.client_id}-record-")
        assert "Alice" not in export.file_name  # ids and a date, never the client's name


@pytest.mark.parametrize("who", READERS)
def test_the_json_of_a_reader_is_the_whole_record(planted, who):
    response = download(planted, who, "json")
    assert response["Content-Type"] == "application/json"
    data = json.loads(body(response))
    assert (data["format"], data["version"]) == ("atendo.client-record", 1)
    assert data["client"]["name"] == "Alice Canary"
    assert data["client"]["fields"]["c_text"] == marker("c_text")
    assert data["client"]["fields"]["c_num"] == float(NUMBERS["client"])
    [session] = data["sessions"]
    assert session["id"] == planted.session_id and session["status"] == "completed"
    assert session["notes"] == marker("notes")
    assert session["fields"]["pre"]["pre_text"] == marker("pre_text")
    assert session["fields"]["during"]["during_num"] == float(NUMBERS["during"])
    assert session["therapy_fields"]["t_text"] == marker("t_text")
    assert "withheld" not in session or session["withheld"] == []
    # The forms needed to read the values, every scope.
    keys = {d["key"] for d in data["definitions"]["session"]["pre"]}
    assert {"pre_text", "pre_num", "pre_sel", "pre_room"} <= keys
    assert {d["key"] for d in data["definitions"]["client"]} >= {"c_text", "c_ref"}
    assert {d["key"] for d in data["definitions"]["therapy_types"][str(planted.therapy_type_id)]} == {
        "t_text",
        "t_list",
        "t_flag",
    }
    assert [t["name"] for t in data["therapy_types"]] == ["Reiki"]
    assert {e["id"] for e in data["evaluations"]} == {planted.evaluation_id, planted.admin_evaluation_id}
    assert marker("evaluation_title") in {e["title"] for e in data["evaluations"]}
    assert [p["id"] for p in data["payments"]] == [planted.payment_id]
    assert [i["id"] for i in data["invoices"]] == [planted.invoice_id]
    record_files = set(
        Attachment.objects.filter(pk__in=[*planted.attachment_ids, planted.admin_attachment_id])
        .filter(client_id=planted.client_id)
        .values_list("pk", flat=True)
    ) | set(Attachment.objects.filter(session_id=planted.session_id).values_list("pk", flat=True))
    assert {a["id"] for a in data["attachments"]} == record_files
    assert all(a["path"].startswith(f"attachments/{a['id']}-") for a in data["attachments"])
    assert planted.therapist.pk in {p["id"] for p in data["practitioners"]}
    assert data["exported_by"]["member_id"] == planted.members[who].pk
    assert data["withheld"] == []


@pytest.mark.parametrize("who", NON_READERS)
def test_the_json_of_a_non_reader_holds_no_clinical_content(planted, who):
    raw = body(download(planted, who, "json"))
    data = json.loads(raw)
    assert no_leaks(raw, parsed=data) == []
    assert data["client"]["name"] == "Alice Canary"
    assert data["client"]["fields"].get("c_ref") == "Prontuário 42"  # the administrative field stays
    assert set(CLINICAL_PARTS) <= set(data["withheld"])
    for session in data["sessions"]:  # the session is listed, its clinical parts withheld
        assert session["id"] == planted.session_id
        assert "notes" not in session and "notes" in session["withheld"]
    # The forms are not content: every member reads them.
    assert "pre_text" in {d["key"] for d in data["definitions"]["session"]["pre"]}
    assert planted.evaluation_id not in {e["id"] for e in data["evaluations"]}
    assert export_of(planted, who, "json").withheld == data["withheld"]


@pytest.mark.parametrize("who", READERS)
def test_the_pdf_of_a_reader_reads_back_with_the_record(planted, who):
    response = download(planted, who, "pdf")
    assert response["Content-Type"] == "application/pdf"
    raw = body(response)
    reader = PdfReader(io.BytesIO(raw))
    assert len(reader.pages) >= 2
    text = pdf_text(raw)
    for expected in (
        "Alice Canary",
        "Clínica Canário",
        marker("notes"),
        marker("pre_text"),
        marker("t_text"),
        marker("c_text"),
        marker("evaluation_title"),
        "Theo Therapist",
    ):
        assert expected in text, expected
    assert "Left out of this copy" not in text


@pytest.mark.parametrize("who", NON_READERS)
def test_the_pdf_of_a_non_reader_says_what_was_left_out_and_holds_no_marker(planted, who):
    raw = body(download(planted, who, "pdf"))
    text = pdf_text(raw)
    assert "Alice Canary" in text
    assert "Left out of this copy for you" in text
    assert no_leaks(raw, text) == []


def fhir_bundle(raw: bytes) -> tuple[Bundle, dict[str, list[dict[str, Any]]]]:
    data = json.loads(raw)
    bundle = Bundle.model_validate(data)  # the whole Bundle, every entry, validated
    assert bundle.type == "collection"
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in data["entry"]:
        assert entry["fullUrl"].startswith("urn:uuid:")
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return bundle, by_type


def references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference" and isinstance(inner, str):
                yield inner
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def inline_data(value: Any) -> str:
    """Every base64 `data` of the Bundle's attachments, decoded (notes and addenda travel so)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "data" and isinstance(inner, str):
                found.append(base64.b64decode(inner).decode("utf-8", errors="replace"))
            else:
                found.append(inline_data(inner))
    elif isinstance(value, list):
        found += [inline_data(inner) for inner in value]
    return "\n".join(f for f in found if f)


@pytest.mark.parametrize("who", READERS)
def test_the_fhir_bundle_of_a_reader_validates_and_maps_the_record(planted, who):
    response = download(planted, who, "fhir")
    assert response["Content-Type"] == "application/fhir+json"
    raw = body(response)
    _bundle, by_type = fhir_bundle(raw)
    [patient] = by_type["Patient"]
    assert patient["name"] == [{"text": "Alice Canary"}]
    assert patient["identifier"][0]["value"] == str(planted.client_id)
    assert len(by_type["Organization"]) == 1
    assert planted.therapist.display_name in {p["name"][0]["text"] for p in by_type["Practitioner"]}
    assert len(by_type["PractitionerRole"]) == len(by_type["Practitioner"])
    [appointment] = by_type["Appointment"]
    assert appointment["status"] == "fulfilled"
    [encounter] = by_type["Encounter"]  # the session was completed
    assert encounter["status"] == "finished"
    questionnaires = {q["url"].rsplit(":", 1)[-1] for q in by_type["Questionnaire"]}
    assert {
        "client",
        "session-pre",
        "session-during",
        "session-post",
        "evaluation",
        f"therapy-type-{planted.therapy_type_id}",
    } <= questionnaires
    # A response per phase, the therapy fields, the client fields and each evaluation.
    responses = by_type["QuestionnaireResponse"]
    assert len(responses) >= 3 + 1 + 1 + 2
    answered = {item["linkId"] for r in responses for item in r["item"]}
    assert {"pre_text", "during_text", "post_text", "t_text", "c_text", "e_text"} <= answered
    values = {o["valueQuantity"]["value"] for o in by_type["Observation"]}
    assert {float(NUMBERS[k]) for k in ("pre", "during", "post", "client", "e")} <= values
    documents = by_type["DocumentReference"]
    notes = [d for d in documents if d.get("type", {}).get("coding", [{}])[0].get("code") == "11506-3"]
    assert len(notes) == 1
    assert marker("notes") in inline_data(json.loads(raw))  # the notes, base64 in their attachment
    attachments = [d for d in documents if d not in notes]
    assert {d["content"][0]["attachment"]["url"].split("/")[1].split("-")[0] for d in attachments} >= {
        str(pk)
        for pk in Attachment.objects.filter(session_id=planted.session_id).values_list("pk", flat=True)
    }
    assert "OperationOutcome" not in by_type  # nothing withheld
    # Every reference inside the Bundle points at one of its entries.
    urls = {e["fullUrl"] for e in json.loads(raw)["entry"]}
    internal = {r for r in references(json.loads(raw)["entry"]) if r.startswith("urn:uuid:")}
    assert internal <= urls


@pytest.mark.parametrize("who", NON_READERS)
def test_the_fhir_bundle_of_a_non_reader_validates_and_suppresses_the_clinical_parts(planted, who):
    raw = body(download(planted, who, "fhir"))
    _bundle, by_type = fhir_bundle(raw)
    assert no_leaks(raw, inline_data(json.loads(raw))) == []
    assert len(by_type["Patient"]) == 1
    assert "Observation" not in by_type
    [outcome] = by_type["OperationOutcome"]
    assert {i["code"] for i in outcome["issue"]} == {"suppressed"}
    suppressed = {i["details"]["coding"][0]["code"] for i in outcome["issue"]}
    assert set(CLINICAL_PARTS) <= suppressed


@pytest.mark.parametrize("who", READERS)
def test_the_zip_of_a_reader_holds_the_three_files_and_every_attachment(planted, who):
    response = download(planted, who, "zip")
    assert response["Content-Type"] == "application/zip"
    files = zip_texts(body(response))
    assert {"record.json", "record.pdf", "record.fhir.json"} <= set(files)
    record = json.loads(files["record.json"])
    fhir_bundle(files["record.fhir.json"])
    assert marker("notes") in pdf_text(files["record.pdf"])
    paths = {a["path"]: a for a in record["attachments"]}
    assert set(files) - {"record.json", "record.pdf", "record.fhir.json"} == set(paths)
    for path, attachment in paths.items():
        if attachment["original_name"].startswith("QZXname_"):  # a planted clinical file: its bytes, opened
            tag = attachment["original_name"].removeprefix("QZXname_").split("XZQ")[0]
            assert marker(f"bytes_{tag}").encode() in files[path]
    assert (
        files[next(p for p, a in paths.items() if a["original_name"] == "recibo.txt")]
        == b"recibo administrativo\n"
    )


@pytest.mark.parametrize("who", NON_READERS)
def test_the_zip_of_a_non_reader_holds_no_clinical_file_nor_marker(planted, who):
    raw = body(download(planted, who, "zip"))
    files = zip_texts(raw)
    record = json.loads(files["record.json"])
    assert [a["original_name"] for a in record["attachments"]] == ["recibo.txt"]
    texts = [name + "\n" + data.decode("latin-1") for name, data in files.items()]
    texts.append(pdf_text(files["record.pdf"]))
    assert no_leaks(raw, "\n".join(texts), parsed=record) == []


# --- what is never exported, and what comes with a signed record -------------------------------------


def build(planted: Planted, who: str, format_: str) -> bytes:
    member = planted.members[who]
    export = services.export_request(
        member=member, kind="client", format=format_, client_id=planted.client_id
    )
    export.refresh_from_db()
    assert export.status == "ready", (export.error_code, export.error_message)
    return body(ApiClient(member).get(f"exports/{export.pk}/download"))


def everything_in(format_: str, raw: bytes) -> str:
    if format_ == "pdf":
        return pdf_text(raw)
    if format_ == "zip":
        files = zip_texts(raw)
        return "\n".join([*(d.decode("latin-1") for d in files.values()), pdf_text(files["record.pdf"])])
    return raw.decode()


def test_private_notes_are_never_exported_not_even_to_their_author(planted):
    private = "QZXprivate_noteXZQ"
    private_note_save(member=planted.therapist, session_id=planted.session_id, text=private)
    for format_ in EXPORT_FORMATS:
        for who in ("therapist", "owner"):
            raw = build(planted, who, format_)
            text = everything_in(format_, raw)
            if format_ in ("fhir", "zip"):
                fhir = zip_texts(raw)["record.fhir.json"] if format_ == "zip" else raw
                text += inline_data(json.loads(fhir))
            assert marker("notes") in text  # the record's notes are there
            assert private not in text, (who, format_)


def test_a_signed_record_exports_its_signature_and_addenda_to_readers_only(planted):
    session = Session.objects.get(pk=planted.session_id)
    session_sign(member=planted.therapist, session_id=session.pk, version=session.version)
    addendum_add(member=planted.therapist, session_id=session.pk, text="QZXaddendumXZQ correction")
    data = json.loads(build(planted, "owner", "json"))
    [exported] = data["sessions"]
    assert exported["signed_by"] == planted.therapist.pk and exported["signed_at"]
    assert [a["text"] for a in exported["addenda"]] == ["QZXaddendumXZQ correction"]
    assert "QZXaddendumXZQ" in pdf_text(build(planted, "therapist", "pdf"))
    _bundle, by_type = fhir_bundle(build(planted, "owner", "fhir"))
    appended = [d for d in by_type["DocumentReference"] if d.get("relatesTo")]
    assert [d["relatesTo"][0]["code"] for d in appended] == ["appends"]
    for who in NON_READERS:
        for format_ in EXPORT_FORMATS:
            raw = build(planted, who, format_)
            assert "QZXaddendum" not in everything_in(format_, raw), (who, format_)
        assert "addenda" in json.loads(build(planted, who, "json"))["withheld"]


def test_a_permission_lost_after_asking_is_lost_for_the_export(planted, settings):
    """The worker reads the member fresh: a therapist unassigned between the request and the run
    gets the record without its clinical content."""
    from atendo.clinical.models import ClientPractitioner

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    export = services.export_request(
        member=planted.therapist, kind="client", format="json", client_id=planted.client_id
    )
    assert Export.objects.get(pk=export.pk).status == "queued"
    ClientPractitioner.objects.filter(client_id=planted.client_id, member=planted.therapist).delete()
    assert runner.run(export.pk) == "ready"
    raw = body(ApiClient(planted.therapist).get(f"exports/{export.pk}/download"))
    assert no_leaks(raw, parsed=json.loads(raw)) == []
    assert set(CLINICAL_PARTS) <= set(Export.objects.get(pk=export.pk).withheld)
