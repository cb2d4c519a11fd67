"""Background work of intake: sending a form's link to the client (django-tasks; the worker of
`make run` runs it). The task gets the request's id, never its token: the link is rebuilt from the
id when sent (`links.request_url`), so the task queue holds no secret."""

from __future__ import annotations

from django_tasks import task


@task()
def send_form_link(form_request_id: int, channel: str) -> str:
    from atendo.intake.services import link_send

    return link_send(form_request_id=form_request_id, channel=channel)
