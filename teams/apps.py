from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "技术服务共享团队"

    def ready(self) -> None:
        from commissioners.hooks import register_commissioners_changed
        from villages.hooks import register_fields_changed, register_village_moved

        from .candidates import (
            team_candidates_refresh_for_fields,
            team_candidates_refresh_for_members,
            team_candidates_refresh_for_village,
        )

        register_commissioners_changed(team_candidates_refresh_for_members)
        register_fields_changed(team_candidates_refresh_for_fields)
        register_village_moved(team_candidates_refresh_for_village)
