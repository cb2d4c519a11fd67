"""`{% idle_guard %}`: what the page's idle warning (accounts/static/accounts/idle.js) needs to know
about this session: its idle timeout, when to warn, and where to ask, keep alive or log in."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from atendo.accounts import signin

register = template.Library()


@register.inclusion_tag("accounts/_idle_guard.html", takes_context=True)
def idle_guard(context: Any) -> dict[str, Any]:
    request = context.get("request")
    session = getattr(request, "session", None)
    state = signin.session_state(session, signin.now()) if session is not None else None
    return {
        "csrf_token": context.get("csrf_token"),
        "idle_timeout": state.idle_timeout if state else None,
        "idle_left": state.idle_left if state else None,
        "warn_before": settings.IDLE_WARNING_SECONDS,
    }
