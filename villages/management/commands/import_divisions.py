from django.core.management.base import BaseCommand

from villages.hooks import setup_steps
from villages.models import Area, Category
from villages.services import areas_import, categories_seed


class Command(BaseCommand):
    help = ("Production setup without demo data: Baise's areas, the categories and the plan's targets with their "
            "baselines (idempotent). seed_demo and start_pilot begin with it.")

    def handle(self, *args, **options) -> None:
        result = areas_import()
        self.stdout.write(
            f"areas: {result.created} created, {result.updated} updated, {result.unchanged} unchanged "
            f"({Area.objects.filter(level='county').count()} counties, "
            f"{Area.objects.filter(level='township').count()} townships, "
            f"{Area.objects.filter(level='village').count()} villages)")
        self.stdout.write(f"categories: {categories_seed()} created ({Category.objects.count()} in all)")
        for name, step in setup_steps():  # stats: the targets
            self.stdout.write(f"{name}: {step()} created")
