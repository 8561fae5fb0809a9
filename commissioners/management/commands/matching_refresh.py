from django.core.management.base import BaseCommand

from commissioners.candidates import candidates_rebuild


class Command(BaseCommand):
    help = ("Rebuild matching's read model (MatchingCandidate) from profiles, expertise and claims: after a bulk "
            "import, or to repair it. Safe to run any time; the services keep it current otherwise.")

    def handle(self, *args, **options) -> None:
        rows = candidates_rebuild()
        self.stdout.write(self.style.SUCCESS(f"matching candidates rebuilt: {rows} rows"))
