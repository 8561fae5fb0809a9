from django.apps import AppConfig


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = "村镇与问题"

    def ready(self) -> None:
        from accounts import hooks
        from media.access import register_photo_access

        from .problems import may_see_problem_id
        from .references import areas_by_code, categories_listed

        register_photo_access("problem", may_see_problem_id)
        hooks.register_areas(areas_by_code)
        hooks.register_categories(categories_listed)
