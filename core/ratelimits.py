"""Fixed-window rate limits in the cache (Redis in production, so shared by every worker).

`rate_limit_hit("login_phone", phone)` counts one attempt and raises RateLimited (429 with
Retry-After) once the window's allowance is used. Windows are aligned to the clock, so the
retry time is exact.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

from .errors import RateLimited

logger = logging.getLogger(__name__)


def rate_limit_hit(name: str, identity: str | int) -> None:
    limit, window = settings.RATE_LIMITS[name]
    now = int(time.time())
    start = now - now % window
    # Hash the identity: keys must not carry phone numbers into the cache in the clear.
    digest = hashlib.sha256(f"{name}:{identity}".encode()).hexdigest()[:32]
    key = f"ratelimit:{name}:{digest}:{start}"
    try:
        # add() then incr(): atomic on Redis and locmem; a race at the window's start adds once.
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=window + 5)
            count = 1
    except RedisError:
        # Fail open: with the cache down nobody could log in at all. Limits resume with Redis.
        logger.warning("Rate limit %s not counted: the cache is unreachable.", name)
        return
    if count > limit:
        raise RateLimited(retry_after=max(start + window - now, 1))


def client_ip(request: HttpRequest) -> str:
    """The caller's address: the socket's, or the one NUM_PROXIES trusted proxies saw."""
    if settings.NUM_PROXIES:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= settings.NUM_PROXIES:
            return forwarded[-settings.NUM_PROXIES]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
