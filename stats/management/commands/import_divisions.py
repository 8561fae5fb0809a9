"""The production setup (areas, categories, targets). It lives with stats, the one app that may import both
villages and its own targets: villages imports nothing above it."""

from django.core.management.base import BaseCommand

from stats.services import targets_seed
from villages.models import Area, AreaLevel, Category
from villages.services import areas_import, categories_seed


class Command(BaseCommand):
    help = ("Production setup without demo data: Baise's areas, the categories and the plan's targets with their "
            "baselines (idempotent). seed_demo and start_pilot begin with it.")

    def handle(self, *args, **options) -> None:
        result = areas_import()
        self.stdout.write(
            f"areas: {result.created} created, {result.updated} updated, {result.unchanged} unchanged "
            f"({Area.objects.filter(level=AreaLevel.COUNTY).count()} counties, "
            f"{Area.objects.filter(level=AreaLevel.TOWNSHIP).count()} townships, "
            f"{Area.objects.filter(level=AreaLevel.VILLAGE).count()} villages)")
        self.stdout.write(f"categories: {categories_seed()} created ({Category.objects.count()} in all)")
        self.stdout.write(f"targets: {targets_seed()} created")
