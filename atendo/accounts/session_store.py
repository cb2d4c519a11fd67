"""The session engine (`SESSION_ENGINE`): Django's database sessions, in `accounts.UserSession`,
with the columns a user's session list shows (user, address, device, signed in, last active).

`SessionSecurityMiddleware` tells the store the request's address and browser before the view runs;
the times come from the session's own stamps (accounts/signin.py), so the row says what the
middleware decided, with no extra query: a session is written when its data changes, which the
middleware does at most once a minute to record activity.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from atendo.accounts import signin
from atendo.accounts.models import UserSession


def _moment(stamp: Any) -> dt.datetime | None:
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        return dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
    return None


class SessionStore(DatabaseSessionStore):
    client_ip: str | None = None
    user_agent: str = ""

    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        obj: Any = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        obj.user_id = int(user_id) if isinstance(user_id, str | int) and str(user_id).isdigit() else None
        obj.ip = self.client_ip
        obj.user_agent = (self.user_agent or "")[:300]
        obj.created_at = _moment(data.get(signin.LOGIN_AT)) or timezone.now()
        obj.last_seen_at = _moment(data.get(signin.SEEN_AT))
        return obj
