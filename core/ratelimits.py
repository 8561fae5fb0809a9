"""Fixed-window rate limits in the cache (Redis in production, so shared by every worker).

`rate_limit_hit("upload_user", user_id)` counts one attempt and raises RateLimited (429 with
Retry-After) once the window's allowance is used. Windows are aligned to the clock, so the
retry time is exact.

Logins (`login_attempt`) are limited so that guessing stays bounded without letting a stranger lock
the owner out:

- ``login_phone_address``: failures for one phone from one address. A stranger guessing from their
  address stops there; the owner, elsewhere, is not affected.
- ``login_ip``: failures from one address over every phone (one address spraying many phones).
- ``login_phone``: failures for one phone over every address, a larger ceiling (guessing spread over
  many addresses). An address this phone logged in from successfully in the last `KNOWN_ADDRESS_DAYS`
  days is exempt: the owner's usual network keeps working while strangers hit the ceiling.

A successful login is not a guess: its reservation is handed back. When the cache (Redis) is down, the
same limits hold per process in memory instead of failing open.

Which address a request came from is decided here alone (`client_ip`, from `NUM_PROXIES`): the shipped
uvicorn commands run with `--no-proxy-headers`, so the server does not rewrite it from X-Forwarded-For.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

from .errors import RateLimited

logger = logging.getLogger(__name__)

# How long a successful login makes its address "known" for that phone (exempt from the phone's ceiling).
KNOWN_ADDRESS_DAYS = 30


class _LocalCounters:
    """The fallback while the cache is unreachable: the same fixed windows, in this process's memory.
    A process holds at most `MAX_KEYS` live counters (expired ones are dropped first, then the oldest)."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, delta: int, ttl: float) -> int:
        now = time.monotonic()
        with self._lock:
            count, expires = self._counts.get(key, (0, now + ttl))
            if expires <= now:
                count, expires = 0, now + ttl
            count = max(count + delta, 0)
            self._counts[key] = (count, expires)
            if len(self._counts) > self.MAX_KEYS:
                self._prune(now)
            return count

    def get(self, key: str) -> int:
        with self._lock:
            count, expires = self._counts.get(key, (0, 0.0))
            return count if expires > time.monotonic() else 0

    def _prune(self, now: float) -> None:
        for key in [k for k, (_, expires) in self._counts.items() if expires <= now]:
            del self._counts[key]
        while len(self._counts) > self.MAX_KEYS:
            del self._counts[next(iter(self._counts))]

    def clear(self) -> None:
        global _cache_down_until
        with self._lock:
            self._counts.clear()
        _cache_down_until = 0.0


_local = _LocalCounters()

# After the cache failed, this process counts in memory for this long before trying it again: a hung
# Redis (2 s socket timeout) then costs one request one timeout, not every counter of every login one each.
CACHE_RETRY_S = 5.0
_cache_down_until = 0.0


def _cache_usable() -> bool:
    return time.monotonic() >= _cache_down_until


def _cache_failed() -> None:
    global _cache_down_until
    _cache_down_until = time.monotonic() + CACHE_RETRY_S
    # Not open: with the cache down the limits hold per process (each worker counts its own).
    logger.warning("Rate limits counted in this process for %.0f s: the cache is unreachable.", CACHE_RETRY_S)


def _digest(*parts: object) -> str:
    # Hash the identity: keys must not carry phone numbers into the cache in the clear.
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Window:
    key: str
    limit: int
    ttl: int
    retry_after: int


def _window(name: str, *identity: object) -> _Window:
    limit, window = settings.RATE_LIMITS[name]
    now = int(time.time())
    start = now - now % window
    return _Window(f"ratelimit:{name}:{_digest(name, *identity)}:{start}", limit, window + 5,
                   max(start + window - now, 1))


def _incr(window: _Window, delta: int = 1) -> int:
    if not _cache_usable():
        return _local.incr(window.key, delta, window.ttl)
    try:
        if delta > 0:
            # add() then incr(): atomic on Redis and locmem; a race at the window's start adds once.
            cache.add(window.key, 0, timeout=window.ttl)
            try:
                return cache.incr(window.key, delta)
            except ValueError:  # evicted between add and incr
                cache.set(window.key, delta, timeout=window.ttl)
                return delta
        try:
            return cache.decr(window.key, -delta)
        except ValueError:  # the window rolled over meanwhile: nothing to hand back
            return 0
    except RedisError:
        _cache_failed()
        return _local.incr(window.key, delta, window.ttl)


def rate_limit_hit(name: str, identity: str | int) -> None:
    window = _window(name, identity)
    if _incr(window) > window.limit:
        raise RateLimited(retry_after=window.retry_after)


def _known_key(phone: str, address: str) -> str:
    return "login-known:" + _digest("known", phone, address)


def _is_known(phone: str, address: str) -> bool:
    key = _known_key(phone, address)
    if _cache_usable():
        try:
            return bool(cache.get(key))
        except RedisError:
            _cache_failed()
    return bool(_local.get(key))


def _remember(phone: str, address: str) -> None:
    key, ttl = _known_key(phone, address), KNOWN_ADDRESS_DAYS * 24 * 3600
    if _cache_usable():
        try:
            cache.set(key, 1, timeout=ttl)
            return
        except RedisError:
            _cache_failed()
    _local.incr(key, 1, ttl)


@dataclass
class LoginAttempt:
    """One login attempt's reservations against the limits; `succeeded` hands them back."""

    phone: str
    address: str
    reserved: list[_Window] = field(default_factory=list)

    def handed_back(self) -> None:
        """The attempt was not a guess (refused for another reason): it counts against nothing."""
        for window in self.reserved:
            _incr(window, -1)
        self.reserved = []

    def succeeded(self) -> None:
        """The password was right: not a guess, and this address is now known for the phone."""
        self.handed_back()
        _remember(self.phone, self.address)


def login_attempt_begin(phone: str, address: str) -> LoginAttempt:
    """Reserve one attempt for ``phone`` from ``address``, or raise RateLimited.

    The most specific limit is counted first and counting stops at the first one exceeded, so a blocked
    stranger's further attempts count against their own phone+address key only: they cannot push the
    phone's ceiling (or their address's) up by hammering."""
    attempt = LoginAttempt(phone=phone, address=address)
    windows = [_window("login_phone_address", phone, address), _window("login_ip", address)]
    if not _is_known(phone, address):
        windows.append(_window("login_phone", phone))
    for window in windows:
        if _incr(window) > window.limit:
            attempt.handed_back()  # the limits not reached are not charged for a refused try
            raise RateLimited(retry_after=window.retry_after)
        attempt.reserved.append(window)
    return attempt


@contextmanager
def login_attempt(phone: str, address: str) -> Iterator[LoginAttempt]:
    """Around a login: reserve, and hand back if the block inside does not raise (a success)."""
    attempt = login_attempt_begin(phone, address)
    yield attempt
    attempt.succeeded()


def client_ip(request: HttpRequest) -> str:
    """The caller's address: the socket's, or the one NUM_PROXIES trusted proxies saw."""
    if settings.NUM_PROXIES:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= settings.NUM_PROXIES:
            return forwarded[-settings.NUM_PROXIES]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
