from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "通知"

    def ready(self) -> None:
        from core.lookups import register

        register()  # ``__any``: the fan-out's id lists as one array parameter
