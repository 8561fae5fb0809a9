from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from demo.cleanup import DemoRowsProtected, demo_counts, demo_remove
from stats.models import Target


class Command(BaseCommand):
    help = ("Prepare a database for a real county pilot: Baise's areas, the categories, the plan's targets with "
            "their 十三五 baselines, and no demo data (demo rows that seed_demo put there are removed after a "
            "prompt, or at once with --yes). Idempotent.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--yes", action="store_true", help="Remove demo data without asking.")

    def handle(self, *args, **options) -> None:
        call_command("import_divisions", stdout=self.stdout, stderr=self.stderr)

        found = {name: n for name, n in demo_counts().items() if n}
        if found:
            self.stdout.write(self.style.WARNING(
                "demo data from seed_demo: " + ", ".join(f"{n} {name}" for name, n in found.items())))
            if not options["yes"] and not self._confirmed():
                raise CommandError("Demo data kept; the database is not ready for a pilot. "
                                   "Run again and answer yes, or pass --yes.")
            try:
                removed = demo_remove()
            except DemoRowsProtected as exc:
                raise CommandError(f"Demo data kept: rows that are not demo data refer to it ({exc}).") from exc
            self.stdout.write("removed: " + ", ".join(f"{n} {name}" for name, n in removed.items() if n))
        else:
            self.stdout.write("demo data: none")

        for target in Target.objects.select_related("area"):
            baseline = (f"; baseline {target.baseline_value:,}{target.unit} ({target.baseline_label})"
                        if target.baseline_value is not None else "")
            self.stdout.write(f"  {target.code}: {target.name} {target.value:,}{target.unit}, "
                              f"{target.period_start}–{target.period_end}, {target.area_id}{baseline}")
        self.stdout.write(self.style.SUCCESS(
            "ready for a pilot: create the first bureau account with "
            "`manage.py adduser --role bureau --area 451000 --phone … --password …`"))

    def _confirmed(self) -> bool:
        try:
            answer = input("Remove this demo data now? Type 'yes' to remove: ")
        except EOFError:
            return False
        return answer.strip().lower() in ("yes", "y")
