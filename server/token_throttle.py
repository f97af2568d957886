"""Wrong tokens from one client address, counted: past a limit, its token attempts wait out a window (429).

The HTTP server's token (server/http_auth.py) would otherwise take guesses as fast as a client can send them.
Counted: a wrong ``Authorization: Bearer`` token and a wrong token posted to the dashboard's login form. Not
counted: a request with no token at all (a browser opening the login page, an MCP client asking before it
sends one), and a wrong dashboard cookie (an HMAC no one guesses; a page left open across a token change
polls with one every second and must still be able to log in).

Once an address has sent ``limit`` wrong tokens in a window that starts at its first, every token it sends
is answered 429 with Retry-After until that window ends, the right one too: checking it would tell a
guesser which guess was right at full speed, which is what the limit is for. A dashboard already opened
(its cookie) and every other address carry on. Behind a reverse proxy on this machine, uvicorn takes the
client's address from X-Forwarded-For (FORWARDED_ALLOW_IPS, 127.0.0.1 by default); an IPv6 address counts
with its /64, which one host is usually given whole.

Memory is bounded: at most ``max_addresses`` are tracked; a new one evicts the oldest window.
"""

from __future__ import annotations

import ipaddress
import logging
import math

from router_core.clock import Clock

logger = logging.getLogger(__name__)

LIMIT = 10
WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 4096


class FailedTokens:
    """Wrong tokens per client address; see the module docstring."""

    def __init__(self, clock: Clock, *, limit: int = LIMIT, window: float = WINDOW_SECONDS,
                 max_addresses: int = MAX_ADDRESSES) -> None:
        self._clock, self.limit, self.window, self.max_addresses = clock, limit, window, max_addresses
        # address -> [window start (monotonic), wrong tokens in it]; in order of window start, oldest first
        self._windows: dict[str, list[float]] = {}

    def retry_after(self, address: str | None) -> int | None:
        """Seconds until ``address`` may send a token again (at least 1), None when it may now."""
        window = self._windows.get(_key(address))
        if window is None or window[1] < self.limit:
            return None
        left = window[0] + self.window - self._clock.monotonic()
        return math.ceil(left) if left > 0 else None

    def failed(self, address: str | None) -> None:
        """Count a wrong token from ``address``."""
        now, key = self._clock.monotonic(), _key(address)
        self._forget_ended(now)
        window = self._windows.get(key)
        if window is None or now >= window[0] + self.window:
            self._windows.pop(key, None)  # a new window goes last, keeping the order of window starts
            while len(self._windows) >= self.max_addresses:
                del self._windows[next(iter(self._windows))]
            window = self._windows[key] = [now, 0]
        window[1] += 1
        if window[1] == self.limit:
            logger.warning("%d wrong tokens from %s within %.0f s: its requests with a token are answered 429 "
                           "for %.0f s", self.limit, key, self.window, window[0] + self.window - now)

    def _forget_ended(self, now: float) -> None:
        while self._windows:
            oldest = next(iter(self._windows))
            if now < self._windows[oldest][0] + self.window:
                return
            del self._windows[oldest]

    @property
    def tracked(self) -> int:
        """How many addresses are counted now (at most ``max_addresses``)."""
        return len(self._windows)


def _key(address: str | None) -> str:
    """The address counted: an IPv6 one as its /64; a name or nothing (a Unix socket) as it is."""
    if not address:
        return "(unknown)"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:192.0.2.1, from a dual-stack socket, is 192.0.2.1
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
