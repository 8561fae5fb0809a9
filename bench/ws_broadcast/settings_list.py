"""The project's settings with channels_redis's *list-based* layer instead of the pub/sub one.

What the service used before the pub/sub layer, kept to measure against it: a group send reads the
group's members and pushes onto each member's Redis list (several round trips), and each server
process's hub pops its list with BZPOPMIN.
"""

import redis.exceptions

from config.settings import *  # noqa: F403
from config.settings import REDIS_URL

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "retry_on_error": [redis.exceptions.ConnectionError],
                        # redis-py reads with a 5 s timeout; the layer blocks 5 s in BZPOPMIN.
                        "socket_timeout": 15,
                        # redis-py 8's asyncio pool raises past its size instead of waiting.
                        "max_connections": 1000,
                    }
                ],
                "prefix": "kjtpy",
                # Hubs renew their membership every 30 s: a process that died leaves after this.
                "group_expiry": 300,
                # Messages waiting for one server process past this are dropped silently.
                "capacity": 10_000,
            },
        }
    }
