from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "atendo.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import (
            user_logged_in,
        )  # an AppConfig.ready() import: models load first

        from atendo.accounts import signin

        def stamp_session(sender: object, request: object, user: object, **kwargs: object) -> None:
            """Every way of logging in (the log-in pages, a test's force_login) stamps the session."""
            if request is not None and hasattr(request, "session"):
                signin.mark_signed_in(request, mfa=False, logged_in=user)  # type: ignore[arg-type]

        user_logged_in.connect(stamp_session, dispatch_uid="atendo.accounts.stamp_session", weak=False)
