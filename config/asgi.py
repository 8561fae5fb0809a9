"""ASGI entry point: HTTP through Django, websockets through Channels.

Production: `uvicorn config.asgi:application` or `daphne config.asgi:application`.
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models (the websocket routes do).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from api.asgi_limits import BodySizeLimit, UserConcurrencyLimit  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

# A started Django process holds ~130,000 long-lived objects (models, URL patterns, the area index
# later); moving them out of the collector's reach makes full collections cheap instead of 70-80 ms
# pauses in the middle of requests (bench/geo_near measured them).
gc.freeze()

application = ProtocolTypeRouter(
    {
        # The per-user bound first: a refused request costs neither a body read nor a thread.
        "http": UserConcurrencyLimit(
            BodySizeLimit(django_asgi_app, settings.REQUEST_MAX_BYTES), settings.API_USER_MAX_CONCURRENT
        ),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
