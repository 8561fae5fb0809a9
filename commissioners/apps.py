from django.apps import AppConfig


class CommissionersConfig(AppConfig):
    name = "commissioners"
    verbose_name = "科技特派员"

    def ready(self) -> None:
        from media.access import register_photo_access
        from villages.hooks import register_village_moved

        from .selectors import may_see_checkin_id
        from .tasks import checkins_rejudge_on_commit

        register_photo_access("checkin", may_see_checkin_id)
        register_village_moved(checkins_rejudge_on_commit)
