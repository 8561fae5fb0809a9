from django.apps import AppConfig


class TrainingsConfig(AppConfig):
    name = "trainings"
    verbose_name = "培训"

    def ready(self) -> None:
        from media.access import register_photo_access

        from .services import may_see_training_id

        register_photo_access("training", may_see_training_id)
