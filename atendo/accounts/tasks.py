"""Background work of accounts (django-tasks; the worker of `make run` runs it): the password-reset
e-mail. The reset page queues it for every address it serves, known or not, with the ids of the
matching accounts (none for an unknown address), never the address or a token: the worker makes the
link, so the time of the page's answer does not tell whether an account exists, and no secret waits
in the task table."""

from __future__ import annotations

from django_tasks import task


@task()
def send_password_reset(user_ids: list[int], domain: str, use_https: bool, language: str) -> int:
    from atendo.accounts.forms import reset_mail_send

    return reset_mail_send(user_ids, domain=domain, use_https=use_https, language=language)
