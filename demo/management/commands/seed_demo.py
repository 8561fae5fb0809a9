from django.core.management.base import BaseCommand

from villages.demo import DEMO_PASSWORD, demo_users_seed
from villages.models import Area
from villages.services import areas_import, categories_seed


class Command(BaseCommand):
    help = "Load Baise's areas, the categories and demo users. Idempotent: a second run changes nothing."

    def handle(self, *args, **options) -> None:
        result = areas_import()
        self.stdout.write(
            f"areas: {result.created} created, {result.updated} updated, {result.unchanged} unchanged "
            f"({Area.objects.filter(level='county').count()} counties, "
            f"{Area.objects.filter(level='township').count()} townships, "
            f"{Area.objects.filter(level='village').count()} villages)"
        )
        self.stdout.write(f"categories: {categories_seed()} created")
        created = demo_users_seed()
        if created:
            self.stdout.write(self.style.WARNING(f"demo users created; password for all: {DEMO_PASSWORD}"))
            for demo in created:
                self.stdout.write(f"  {demo.phone}  {demo.role:<15} {demo.area}  {demo.name}")
        else:
            self.stdout.write("demo users: already present (passwords unchanged)")
