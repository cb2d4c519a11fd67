"""Therapy types through the API: create, list, update, deactivate; rules and access."""

from __future__ import annotations

import pytest

from atendo.audit.models import AuditEvent
from atendo.therapies.models import TherapyType

pytestmark = pytest.mark.django_db


def test_owner_creates_a_therapy_type_with_an_exact_price(api, owner):
    response = api(owner).post(
        "therapy-types",
        {"name": "Reiki", "color": "#AA33cc", "default_duration_minutes": 50, "default_price": "150.10"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["default_price"] == "150.10"
    assert body["color"] == "#aa33cc"
    assert body["currency"] == "BRL"
    assert body["fields_scope"] == f"therapy_type:{body['id']}"
    assert AuditEvent.objects.filter(action="therapy_type.create", object_id=str(body["id"])).exists()


def test_a_float_price_is_kept_exact(api, owner):
    response = api(owner).post("therapy-types", {"name": "Bars", "default_price": 0.1})
    assert response.status_code == 201
    assert response.json()["default_price"] == "0.10"


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"name": "X", "default_price": "-1"}, "default_price"),
        ({"name": "X", "default_price": "12.345"}, "default_price"),
        ({"name": "X", "default_price": "abc"}, "default_price"),
        ({"name": "X", "color": "red"}, "color"),
        ({"name": "X", "color": "#12345g"}, "color"),
        ({"name": "   "}, "name"),
        ({"name": "X", "default_duration_minutes": 0}, "default_duration_minutes"),
        ({"name": "X", "default_duration_minutes": 5000}, "default_duration_minutes"),
    ],
)
def test_bad_input_is_refused_naming_the_field(api, owner, payload, path):
    response = api(owner).post("therapy-types", payload)
    assert response.status_code == 422, response.content
    assert [f["path"] for f in response.json()["error"]["fields"]] == [path]
    assert not TherapyType.objects.exists()


def test_duplicate_names_are_refused(api, owner):
    client = api(owner)
    assert client.post("therapy-types", {"name": "Reiki"}).status_code == 201
    response = client.post("therapy-types", {"name": "reiki"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == "name"


def test_update_and_deactivate(api, owner):
    client = api(owner)
    tt = client.post("therapy-types", {"name": "Reiki", "default_price": "100"}).json()
    response = client.patch(f"therapy-types/{tt['id']}", {"default_price": "120.50", "name": "Reiki Usui"})
    assert response.status_code == 200
    assert response.json()["default_price"] == "120.50"
    assert response.json()["name"] == "Reiki Usui"
    assert client.post(f"therapy-types/{tt['id']}/deactivate").json()["active"] is False
    assert client.get("therapy-types").json()["items"] == []
    listed = client.get("therapy-types", include_inactive="true").json()["items"]
    assert [t["name"] for t in listed] == ["Reiki Usui"]
    assert client.post(f"therapy-types/{tt['id']}/activate").json()["active"] is True


def test_clearing_the_price_with_null(api, owner):
    client = api(owner)
    tt = client.post("therapy-types", {"name": "Reiki", "default_price": "100"}).json()
    response = client.patch(f"therapy-types/{tt['id']}", {"default_price": None})
    assert response.json()["default_price"] is None


def test_every_member_lists_but_only_managers_write(api, owner, therapist, assistant):
    api(owner).post("therapy-types", {"name": "Reiki"})
    tt = TherapyType.objects.get()
    for member in (therapist, assistant):
        client = api(member)
        assert client.get("therapy-types").status_code == 200
        assert client.get(f"therapy-types/{tt.pk}").status_code == 200
        assert client.post("therapy-types", {"name": "Other"}).status_code == 403
        assert client.patch(f"therapy-types/{tt.pk}", {"name": "Y"}).status_code == 403
        assert client.post(f"therapy-types/{tt.pk}/deactivate").status_code == 403


def test_outsider_gets_404_everywhere(api, owner, outsider):
    api(owner).post("therapy-types", {"name": "Reiki"})
    tt = TherapyType.objects.get()
    client = api(outsider, "serena")
    assert client.get("therapy-types").status_code == 404
    assert client.get(f"therapy-types/{tt.pk}").status_code == 404
    assert client.post("therapy-types", {"name": "X"}).status_code == 404
    assert client.patch(f"therapy-types/{tt.pk}", {"name": "X"}).status_code == 404
    assert client.post(f"therapy-types/{tt.pk}/deactivate").status_code == 404
    # and from their own workspace, the id does not exist
    own = api(outsider)
    assert own.get(f"therapy-types/{tt.pk}").status_code == 404
    assert own.patch(f"therapy-types/{tt.pk}", {"name": "X"}).status_code == 404


def test_list_runs_a_constant_number_of_queries(api, owner, django_assert_max_num_queries):
    client = api(owner)
    for i in range(8):
        client.post("therapy-types", {"name": f"T{i}"})
    with django_assert_max_num_queries(6):
        assert len(client.get("therapy-types").json()["items"]) == 8
