"""Check the coverage rollup against the live count, or rebuild it.

    manage.py coverage_rollup --check     # exit 1 and list the differences, if any
    manage.py coverage_rollup --rebuild   # recount it from the source tables (idempotent)
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from stats.rollup import rollup_differences, rollup_rebuild


class Command(BaseCommand):
    help = "Check the coverage rollup (stats.CoveragePeriod) against the live count, or rebuild it."

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--check", action="store_true", help="Compare with the live count; exit 1 if different.")
        action.add_argument("--rebuild", action="store_true", help="Recount every row from the source tables.")

    def handle(self, *args, check: bool, rebuild: bool, **options):
        started = time.perf_counter()
        if rebuild:
            rows = rollup_rebuild()
            self.stdout.write(f"rebuilt {rows} rows in {time.perf_counter() - started:.1f} s")
            return
        differences = rollup_differences()
        for d in differences:
            self.stdout.write(f"{d['village']} {d['span']} {d['day']}: live {d['live']}, rollup {d['rollup']}")
        if differences:
            raise CommandError("the coverage rollup differs from the live count: run coverage_rollup --rebuild")
        self.stdout.write(f"the coverage rollup equals the live count ({time.perf_counter() - started:.1f} s)")
