"""The logged-in instaloader context the Instagram sources share, loaded from a saved session file."""

from __future__ import annotations

import io
import pickle
import threading
from contextlib import AbstractContextManager
from pathlib import Path

from instaloader.instaloadercontext import default_iphone_headers

from core.clock import Clock
from core.errors import AuthExpired
from scrapers.instagram.context import RoutedContext
from scrapers.instagram.errors import translated


class InstagramClient:
    """One context for every Instagram source, so instaloader's request accounting sees all our traffic.

    The session is the file `instaloader -l USER` saves (a pickled cookie dict). It is read on each
    poll and reloaded when staff replace it, so renewing a dead session needs no restart.
    """

    def __init__(self, base_url: str, iphone_url: str, username: str, session_file: Path, clock: Clock,
                 request_timeout: float = 30.0) -> None:
        self.username = username
        self.session_file = session_file
        self.context = RoutedContext(base_url, iphone_url, clock, request_timeout)
        # Held for a whole poll: the sources may be polled from different scheduler threads, and one
        # requests.Session and one set of rate-limit windows must not be used by two at once.
        self.lock = threading.Lock()
        self._loaded: bytes | None = None

    def ready(self) -> RoutedContext:
        """The context with the current session file loaded; AuthExpired when there is no usable session."""
        try:
            data = self.session_file.read_bytes()
        except OSError as exc:
            raise AuthExpired(
                f"Instagram session file {self.session_file} cannot be read ({exc.strerror}); "
                f"create it with `instaloader -l {self.username}`"
            ) from exc
        if data != self._loaded:
            self._load(data)
        return self.context

    def translated(self, what: str) -> AbstractContextManager[None]:
        """Map instaloader's failures in the block to our error tree, keeping the last body for ParseError."""
        return translated(what, lambda: self.context.router.last_body)

    def _load(self, data: bytes) -> None:
        try:
            # instaloader unpickles the file itself; it is the desk's own file, written by instaloader.
            self.context.load_session_from_file(self.username, io.BytesIO(data))
        except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise AuthExpired(
                f"{self.session_file} is not an instaloader session file; "
                f"create it again with `instaloader -l {self.username}`"
            ) from exc
        # Headers Instagram handed to the old session (ig-set-authorization, ...) must not leak into the new one.
        self.context.iphone_headers = default_iphone_headers()
        self._loaded = data

