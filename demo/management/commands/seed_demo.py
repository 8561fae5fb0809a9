from django.core.management import call_command
from django.core.management.base import BaseCommand

from demo.activity import demo_activity_seed
from demo.people import DEMO_PASSWORD, demo_users_seed
from demo.teams import demo_teams_seed


class Command(BaseCommand):
    help = ("Load Baise's areas, the categories, the plan's targets, demo users and teams and demo activity over "
            "2021-2025. "
            "Idempotent: a second run changes nothing.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-activity", action="store_true",
                            help="Only areas, categories, targets, users and teams.")

    def handle(self, *args, **options) -> None:
        call_command("import_divisions", stdout=self.stdout, stderr=self.stderr)
        created = demo_users_seed()
        if created:
            self.stdout.write(self.style.WARNING(f"demo users created; password for all: {DEMO_PASSWORD}"))
            for demo in created:
                self.stdout.write(f"  {demo.phone}  {demo.role:<15} {demo.area}  {demo.name}")
        else:
            self.stdout.write("demo users: already present (passwords unchanged)")
        teams = demo_teams_seed()
        self.stdout.write(f"demo teams (marked 【演示】): {teams} created" if teams else "demo teams: already present")
        if options["no_activity"]:
            return
        activity = demo_activity_seed()
        if activity is None:
            self.stdout.write("demo activity: already present")
        else:
            self.stdout.write(
                f"demo activity (marked 【演示】): {activity.commissioners} commissioners, {activity.dispatches} "
                f"dispatches, {activity.trainings} trainings ({activity.trainees} trainees), {activity.checkins} "
                f"check-ins, {activity.problems} problems"
            )
