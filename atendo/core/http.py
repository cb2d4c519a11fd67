"""The request a workspace page receives, typed.

`HtmxMiddleware` sets `request.htmx` on every request, and the `workspace_page` decorator sets
`request.member` (the acting member of the workspace in the URL) before the view runs. Page views
annotate their request as `PageRequest` so both are typed, with no `# type: ignore` and no helper
to fetch them. It is only a type: Django still builds a plain `HttpRequest`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from atendo.workspaces.models import Membership


class PageRequest(HttpRequest):
    member: Membership
    htmx: HtmxDetails


def safe_next(request: HttpRequest, value: str | None) -> str | None:
    """`value` when it is a URL on this site (a `next` parameter), else None: never an open redirect."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None
