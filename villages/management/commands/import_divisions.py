from django.core.management.base import BaseCommand

from stats.services import targets_seed
from villages.services import areas_import, categories_seed


class Command(BaseCommand):
    help = "Production setup without demo data: Baise's areas, the categories and the plan's targets (idempotent)."

    def handle(self, *args, **options) -> None:
        result = areas_import()
        self.stdout.write(f"areas: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")
        self.stdout.write(f"categories: {categories_seed()} created")
        self.stdout.write(f"targets: {targets_seed()} created")
