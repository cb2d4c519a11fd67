from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client as HttpClient

from atendo.portal import services
from atendo.portal.links import COOKIE
from tests.factories import ClientFactory

LINK = re.compile(r"/portal/enter/([\w-]+)/")


@pytest.fixture
def alice(workspace: Any, therapist: Any) -> Any:
    return ClientFactory(
        workspace=workspace, name="Alice Souza", email="alice@example.com", practitioners=[therapist]
    )


@pytest.fixture
def bruno(workspace: Any, therapist: Any) -> Any:
    return ClientFactory(
        workspace=workspace, name="Bruno Lima", email="bruno@example.com", practitioners=[therapist]
    )


def token_in(text: str) -> str:
    found = LINK.search(text)
    assert found, text
    return found.group(1)


def portal_client(owner: Any, client: Any) -> HttpClient:
    """A browser holding only a portal session of `client` (a link sent by `owner`, opened)."""
    from django.core import mail

    services.portal_link_send(member=owner, client_id=client.pk, channel="email")
    token = token_in(mail.outbox[-1].body)
    http = HttpClient()
    response = http.post(f"/portal/enter/{token}/")
    assert response.status_code == 302, response.content[:300]
    assert COOKIE in response.cookies
    return http
