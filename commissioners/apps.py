from django.apps import AppConfig


class CommissionersConfig(AppConfig):
    name = "commissioners"
    verbose_name = "科技特派员"

    def ready(self) -> None:
        from accounts import hooks
        from media.access import register_photo_access
        from villages.hooks import register_village_moved

        from . import people
        from .selectors import expertise_of, may_see_checkin_id
        from .tasks import checkins_rejudge_on_commit

        register_photo_access("checkin", may_see_checkin_id)
        register_village_moved(checkins_rejudge_on_commit)
        hooks.register_expertise_of(expertise_of)
        hooks.register_profile_of(people.profile_of)
        hooks.register_people_created(people.people_created)
        hooks.register_people_changed(people.people_changed)
        hooks.register_dispatched_into(people.dispatched_into)
        hooks.register_working_in(people.checked_in_lately)
        hooks.register_retention("checkins_coarsened", people.checkin_tracks_coarsen)
