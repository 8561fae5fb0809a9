from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = "问题与揭榜"

    def ready(self) -> None:
        from commissioners.hooks import register_problem_reference_check, register_track_records
        from media.access import register_photo_access

        from .access import ensure_may_reference_problem, may_see_problem_id
        from .selectors import track_records

        register_photo_access("problem", may_see_problem_id)
        register_problem_reference_check(ensure_may_reference_problem)
        register_track_records(track_records)
