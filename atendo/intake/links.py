"""The link of a form request: `/f/<token>/`.

The token is an HMAC of (workspace id, request id) under the secret key, salted for this purpose
(`django.utils.crypto.salted_hmac`), so only the server can make one and the database keeps only
its sha256 (`FormRequest.token_hash`): a copy of the database opens no form. The server (the staff
page, the client portal) rebuilds the same URL from the request whenever it needs it. Rotating
`SECRET_KEY` retires every link, as it does the booking and reminder links.
"""

from __future__ import annotations

import base64
import hashlib

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

SALT = "atendo.intake.form"


def make_token(*, workspace_id: int, request_id: int) -> str:
    digest = salted_hmac(SALT, f"{workspace_id}.{request_id}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def form_path(token: str) -> str:
    return reverse("intake_public:form", args=[token])


def form_url(token: str) -> str:
    return settings.ATENDO_PUBLIC_URL.rstrip("/") + form_path(token)


def request_url(form_request: object) -> str:
    """The public URL of a form request (rebuilt; the token is never stored)."""
    token = make_token(
        workspace_id=form_request.workspace_id,  # type: ignore[attr-defined]
        request_id=form_request.pk,  # type: ignore[attr-defined]
    )
    return form_url(token)
