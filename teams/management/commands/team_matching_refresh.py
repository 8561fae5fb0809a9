from django.core.management.base import BaseCommand

from teams.candidates import team_candidates_rebuild


class Command(BaseCommand):
    help = ("Rebuild matching's read model for teams (TeamCandidate) from teams, memberships, members' points and "
            "claims: to repair it. Safe to run any time; the services keep it current otherwise.")

    def handle(self, *args, **options) -> None:
        rows = team_candidates_rebuild()
        self.stdout.write(self.style.SUCCESS(f"team matching candidates rebuilt: {rows} rows"))
