"""Pointing a library with a fixed host at the configured base URL (a staging proxy or a local stand-in)."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter


class Rebase(HTTPAdapter):
    """Sends requests for `host` to `base` instead, with a default timeout when the caller set none.

    Mounted on a client's own requests.Session. Signatures computed over the original URL (OAuth 1.0a)
    stay valid, because the rewrite happens after signing, as the real service expects.
    """

    def __init__(self, host: str, base: str, timeout: float | tuple[float, float]) -> None:
        super().__init__()
        self._host = host.rstrip("/")
        self._base = base.rstrip("/")
        self._timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if request.url and request.url.startswith(self._host):
            request.url = self._base + request.url[len(self._host):]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)
