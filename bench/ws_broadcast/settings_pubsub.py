"""The project's settings with Channels' Redis *pub/sub* layer instead of the list-based one.

Pushes are best-effort by design here (the inbox is the source of truth and a client catches up
on ping or reconnect), so the pub/sub layer's lack of persistence costs nothing, while a group
send is one PUBLISH instead of four round trips, and there is no per-process capacity to overflow.
"""

from config.settings import *  # noqa: F403
from config.settings import REDIS_URL

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}], "prefix": "kjtpy"},
        }
    }
