from django.apps import AppConfig


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = "村镇与问题"

    def ready(self) -> None:
        from media.access import register_photo_access

        from .problems import may_see_problem_id

        register_photo_access("problem", may_see_problem_id)
