from django.apps import AppConfig


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = "村镇"

    def ready(self) -> None:
        from accounts import hooks

        from .references import areas_by_code, categories_listed

        hooks.register_areas(areas_by_code)
        hooks.register_categories(categories_listed)
