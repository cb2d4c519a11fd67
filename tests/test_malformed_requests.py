"""Malformed requests answer 400 (the API in the one error shape, pages with the 400 page), never a
500: deep JSON, unreadable multipart bodies, too many fields or parameters. Raw bodies through
Django's test client; DEBUG off, as in production."""

from __future__ import annotations

import pytest
from django.test import Client

from atendo.clients.models import Client as PracticeClient
from atendo.fields.models import FieldDefinition

pytestmark = pytest.mark.django_db

UPLOAD = "/api/v1/workspaces/serena/attachments"
NEW_CLIENT_PAGE = "/w/serena/clients/new/"


@pytest.fixture(autouse=True)
def production_errors(settings):
    settings.DEBUG = False


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def multipart(filename: str, content: bytes = b"hello") -> bytes:
    return (
        b"--XYZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + filename.encode() + b'"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + content + b"\r\n--XYZ--\r\n"
    )


def api_client(api, member):
    client = api(member)
    client.http.raise_request_exception = False  # a 500 must show as a 500, not as an exception
    return client


def page(page_client, member):
    client = page_client(member)
    client.raise_request_exception = False
    return client


def bad_request(response):
    assert response.status_code == 400, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "bad_request" and error["message"]
    return error


def bad_request_page(response):
    assert response.status_code == 400, response.content[:500]
    assert "The request could not be read" in response.content.decode()


# --- the API -----------------------------------------------------------------------------------


def test_json_nested_a_thousand_levels_inside_a_field_value_is_a_400(api, owner):
    client = api_client(api, owner)
    body = '{"name": "Ana", "fields": {"notes": ' + nested(1000) + "}}"
    bad_request(client.http.post(client.url("clients"), body, content_type="application/json"))
    assert not PracticeClient.objects.exists()


def test_json_too_deep_names_the_path_where_it_went_too_deep(api, owner):
    client = api_client(api, owner)
    body = '{"name": "Ana", "fields": {"notes": ' + nested(100) + "}}"
    error = bad_request(client.http.post(client.url("clients"), body, content_type="application/json"))
    assert [f["path"] for f in error["fields"]] == ["fields.notes" + "[0]" * 30]


def test_json_nested_beyond_what_the_decoder_can_read_is_a_400(api, owner):
    client = api_client(api, owner)
    body = '{"name": "Ana", "fields": {"notes": ' + nested(100_000) + "}}"
    bad_request(client.http.post(client.url("clients"), body, content_type="application/json"))


def test_deep_json_in_a_phase_save_is_a_400(api, owner):
    client = api_client(api, owner)
    body = '{"version": 1, "values": {"mood": ' + nested(1000) + "}}"
    bad_request(client.http.put(client.url("sessions/1/fields/post"), body, content_type="application/json"))


def test_json_nested_as_deep_as_stored_values_go_is_read(api, owner):
    # 31 levels: deeper than any field value can be, and still under the limit.
    client = api_client(api, owner)
    body = '{"name": "Ana", "fields": {"notes": ' + nested(29) + "}}"
    response = client.http.post(client.url("clients"), body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "fields.notes"


def test_a_body_sent_as_text_is_checked_like_json(api, owner):
    # Ninja reads any body that is not a form as JSON, whatever the content type says.
    client = api_client(api, owner)
    response = client.http.patch(client.url("settings"), '{"name": "a\\u0000b"}', content_type="text/plain")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "name"
    bad_request(client.http.patch(client.url("settings"), nested(5000), content_type="text/plain"))


def test_a_json_null_body_is_a_422(api, owner):
    client = api_client(api, owner)
    response = client.http.patch(client.url("settings"), "null", content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_a_number_of_more_than_4300_digits_is_a_400(api, owner):
    client = api_client(api, owner)
    body = '{"payment_due_days": ' + ("9" * 5000) + "}"
    bad_request(client.http.patch(client.url("settings"), body, content_type="application/json"))


def test_multipart_without_a_boundary_is_a_400(api, owner):
    client = api_client(api, owner)
    bad_request(client.http.post(UPLOAD, b"abc", content_type="multipart/form-data"))


def test_a_multipart_part_header_over_10_kib_is_a_400(api, owner):
    client = api_client(api, owner)
    body = multipart("a" * 5000 + ".txt")
    bad_request(client.http.post(UPLOAD, body, content_type="multipart/form-data; boundary=XYZ"))


def test_a_session_upload_without_a_boundary_is_a_400(api, owner):
    client = api_client(api, owner)
    url = client.url("sessions/1/attachments")
    bad_request(client.http.post(url, b"abc", content_type="multipart/form-data"))


def test_more_form_fields_than_allowed_is_a_400(api, owner):
    client = api_client(api, owner)
    body = "&".join(f"f{i}=1" for i in range(2000))
    bad_request(client.http.post(UPLOAD, body, content_type="application/x-www-form-urlencoded"))


def test_more_query_parameters_than_allowed_is_a_400(api, owner):
    client = api_client(api, owner)
    query = "&".join(f"f{i}=1" for i in range(2000))
    bad_request(client.http.get(client.url("clients") + "?" + query))


def test_invalid_utf8_in_an_upload_form_field_is_a_422_naming_it(api, owner, settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path
    client = api_client(api, owner)
    body = (
        b'--XYZ\r\nContent-Disposition: form-data; name="kind"\r\n\r\n\xff\xfe\r\n'
        + multipart("note.txt")[2:]
    )
    response = client.http.post(UPLOAD, body, content_type="multipart/form-data; boundary=XYZ")
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "validation_error"


# --- pages -------------------------------------------------------------------------------------


def test_a_page_form_without_a_multipart_boundary_is_the_400_page(page_client, owner):
    bad_request_page(
        page(page_client, owner).post(NEW_CLIENT_PAGE, b"abc", content_type="multipart/form-data")
    )


def test_a_page_form_with_a_part_header_over_10_kib_is_the_400_page(page_client, owner):
    body = multipart("a" * 5000 + ".txt")
    response = page(page_client, owner).post(
        NEW_CLIENT_PAGE, body, content_type="multipart/form-data; boundary=XYZ"
    )
    bad_request_page(response)


def test_a_page_form_with_too_many_fields_is_the_400_page(page_client, owner):
    body = "&".join(f"f{i}=1" for i in range(2000))
    response = page(page_client, owner).post(
        NEW_CLIENT_PAGE, body, content_type="application/x-www-form-urlencoded"
    )
    bad_request_page(response)


def test_the_login_form_checked_for_csrf_answers_the_400_page_for_an_unreadable_body(db):
    # With CSRF enforced (as in production) the middleware is the first to read the body.
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/login/")  # the CSRF cookie, so the check goes on to read the token from the body
    bad_request_page(client.post("/login/", b"abc", content_type="multipart/form-data"))


def test_invalid_utf8_in_a_page_form_is_read_with_replacement_characters(page_client, owner):
    response = page(page_client, owner).post(
        NEW_CLIENT_PAGE, b"name=Ana%FF", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302
    assert PracticeClient.objects.get().name == "Ana\ufffd"


def test_nested_fields_json_too_deep_on_the_settings_page_is_a_form_error(page_client, owner):
    response = page(page_client, owner).post(
        "/w/serena/settings/fields/client/new/",
        {"key": "contacts", "label": "Contacts", "type": "array", "children": nested(5000)},
    )
    assert response.status_code == 200
    assert "at most 32 JSON levels" in " ".join(response.context["form"].errors["children"])
    assert not FieldDefinition.objects.exists()
