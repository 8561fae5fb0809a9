"""accounts imports no domain app (docs/architecture.md): what it needs of them comes through the hooks
they register in AppConfig.ready(). A hook no app registers would silently drop a rule (a profile not
created, a track not coarsened, a township's people not listed): every one is registered, by its owner."""

from accounts import hooks


def _owners(functions) -> set[str]:
    return {f.__module__.split(".")[0] for f in functions}


def test_every_hook_is_registered_by_the_app_that_owns_the_records():
    registry = hooks._hooks
    assert registry.areas.__module__ == "villages.references"
    assert registry.categories.__module__ == "villages.references"
    assert registry.expertise_of.__module__.startswith("commissioners.")
    assert _owners(registry.profile_of) == {"commissioners"}
    assert _owners(registry.people_created) == _owners(registry.people_changed) == {"commissioners"}
    assert _owners(registry.dispatched_into) == {"commissioners"}
    # Recent check-ins (commissioners); live claims and the matchable for open problems (problems).
    assert sorted(f.__module__ for f in registry.working_in) == [
        "commissioners.people", "problems.matching", "problems.people"]
    assert {name: sweep.__module__.split(".")[0] for name, sweep in registry.retention.items()} == {
        "photos_erased": "media", "checkins_coarsened": "commissioners"}
    assert _owners(registry.sessions_ended) == {"notifications"}


def test_a_hook_registered_twice_runs_once():
    before = list(hooks._hooks.people_changed)
    hooks.register_people_changed(before[0])
    assert hooks._hooks.people_changed == before
