"""Settings › Therapy types pages."""

from __future__ import annotations

import pytest

from atendo.therapies.models import TherapyType

pytestmark = pytest.mark.django_db


def test_owner_creates_and_edits_on_the_settings_page(page_client, owner):
    client = page_client(owner)
    url = "/w/serena/settings/therapy-types/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "Reiki",
            "color": "#336699",
            "default_duration_minutes": "60",
            "default_price": "150,50",
            "active": "on",
        },
    )
    assert response.status_code == 302
    tt = TherapyType.objects.get()
    assert str(tt.default_price) == "150.50"
    page = client.get(url).content.decode()
    assert "Reiki" in page
    response = client.post(
        f"{url}{tt.pk}/", {"name": "Reiki Usui", "color": "#336699", "default_price": "-3"}
    )
    assert response.status_code == 400
    assert "cannot be negative" in response.content.decode()
    client.post(f"{url}{tt.pk}/active/", {"active": "0"})
    tt.refresh_from_db()
    assert tt.active is False


def test_page_needs_the_permission(page_client, therapist, outsider):
    assert page_client(therapist).get("/w/serena/settings/therapy-types/").status_code == 403
    assert page_client(outsider).get("/w/serena/settings/therapy-types/").status_code == 404
