"""Background work of the portal (django-tasks; the worker of `make run` runs it):

- `send_asked_link`: the link a client asked for on the public page, queued for every valid
  address alike (`services.portal_link_request`); it carries the client's id or none, never the
  address;
- `purge_spent_portal_rows`, daily: remove the portal's spent rows — links past their expiry (used
  or not) and sessions that ended or expired — a day after they stopped working. A `core.periodic`
  task.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from atendo.core.periodic import periodic_task
from atendo.portal.services import asked_link_send, purge_spent

INTERVAL = dt.timedelta(days=1)


@task()
def send_asked_link(workspace_id: int, client_id: int | None) -> str:
    return asked_link_send(workspace_id, client_id)


@periodic_task(interval=INTERVAL)
def purge_spent_portal_rows() -> int:
    return purge_spent()
