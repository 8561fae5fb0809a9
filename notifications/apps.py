from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "通知"

    def ready(self) -> None:
        from accounts.hooks import register_sessions_ended
        from core.lookups import register

        from .hub import sessions_end_announce

        register()  # ``__any``: the fan-out's id lists as one array parameter
        register_sessions_ended(sessions_end_announce)  # ended sessions close their websockets
