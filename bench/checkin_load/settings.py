"""The production settings plus one bench-only URLconf (a bare django-ninja endpoint beside the API).

Only the load test's server uses this module (``DJANGO_SETTINGS_MODULE=bench.checkin_load.settings``).
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.checkin_load.urls"
