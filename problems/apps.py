from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = "问题与揭榜"

    def ready(self) -> None:
        from accounts import hooks
        from commissioners.hooks import register_problem_reference_check, register_track_records
        from media.access import register_photo_access
        from teams.hooks import register_team_records

        from .access import ensure_may_reference_problem, may_see_problem_id
        from .matching import matchable_for_open_problems
        from .people import claiming_live
        from .selectors import team_records, track_records

        register_photo_access("problem", may_see_problem_id)
        register_problem_reference_check(ensure_may_reference_problem)
        register_track_records(track_records)
        register_team_records(team_records)
        hooks.register_working_in(claiming_live)  # township staff may list them (accounts/scoping.py)
        hooks.register_working_in(matchable_for_open_problems)
