from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = "统计"

    def ready(self) -> None:
        from villages.hooks import register_setup_step

        from .services import targets_seed

        register_setup_step("targets", targets_seed)  # import_divisions loads the plan's targets too
