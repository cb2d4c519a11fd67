from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from atendo.reminders.models import ReminderSettings
from atendo.reminders.tests.servers import (
    FakeSmsGateway,
    FakeWhatsApp,
    sms_gateway,
    whatsapp_server,
)


@pytest.fixture
def whatsapp(settings: Any) -> Iterator[FakeWhatsApp]:
    for fake in whatsapp_server():
        settings.WHATSAPP_API_URL = fake.url
        settings.WHATSAPP_TOKEN = fake.token
        settings.WHATSAPP_PHONE_NUMBER_ID = fake.phone_number_id
        settings.WHATSAPP_APP_SECRET = "app-secret"
        yield fake


@pytest.fixture
def sms(settings: Any) -> Iterator[FakeSmsGateway]:
    for fake in sms_gateway():
        settings.SMS_WEBHOOK_URL = fake.url
        settings.SMS_WEBHOOK_TOKEN = fake.token
        settings.SMS_WEBHOOK_SECRET = fake.secret
        yield fake


@pytest.fixture
def reminders_on(workspace: Any) -> ReminderSettings:
    rs, _ = ReminderSettings.objects.get_or_create(workspace=workspace)
    rs.enabled = True
    rs.channels = ["email", "whatsapp"]
    rs.offsets_minutes = [1440, 120]
    rs.quiet_start = dt.time(0, 0)
    rs.quiet_end = dt.time(0, 0)  # no quiet hours unless a test sets them
    rs.save()
    return rs
