from __future__ import annotations

from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "atendo.home"
    label = "home"

    def ready(self) -> None:
        # Notes to sign: the signing of clinical records answers them (scheduling sits below home).
        from atendo.home import todo
        from atendo.scheduling.selectors import sessions_to_sign

        todo.register_to_sign(sessions_to_sign)
