from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "media"
    label = "media"
    verbose_name = "照片"

    def ready(self) -> None:
        from accounts.hooks import register_retention

        from .services import photos_exif_erase

        register_retention("photos_erased", photos_exif_erase)
