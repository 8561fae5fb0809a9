"""The project's settings plus the three Redis channel-layer options this benchmark showed are
needed in production (docs/notifications.md, "Channel layer settings"). `run.py --settings
config.settings` measures the project exactly as configured instead."""

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
                        # redis-py 8 reads with a 5 s timeout by default; channels_redis blocks 5 s
                        # in BZPOPMIN, so an idle consumer's receive times out and it dies.
                        "socket_timeout": 15,
                        # redis-py 8's asyncio pool raises past 100 connections instead of waiting:
                        # a burst of connects or disconnects (a deploy, a network blip) hits it.
                        "max_connections": 1000,
                    }
                ],
                "prefix": "kjtpy",
                # Every socket of a server process shares one Redis list; a fan-out to more of its
                # sockets than this at once is dropped past the limit (silently).
                "capacity": 10_000,
            },
        }
    }
