from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from PIL import Image, ImageDraw

from atendo.reminders.tests.servers import SmtpServer, smtp_server


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    """Rate-limit counters live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    for server in smtp_server():
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = server.host
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield server


def signature_png(*, blank: bool = False, size: tuple[int, int] = (400, 180)) -> bytes:
    image = Image.new("RGB", size, (255, 255, 255))
    if not blank:
        ImageDraw.Draw(image).line([(20, 120), (120, 40), (220, 130), (360, 50)], fill=(0, 0, 0), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
