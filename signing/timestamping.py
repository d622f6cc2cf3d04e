"""Where RFC 3161 timestamps come from: Tongban's own TSA in-process, or a TSA over HTTP.

Both are a :data:`TimestampClient`, a function from TimeStampReq DER to TimeStampResp
DER, so :mod:`signing.pades` does not care which one it is given.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Final

from keys.pki import TimestampAuthority
from keys.pki import respond_timestamp
from signing.errors import TimestampUnavailable

__all__ = ["TimestampClient", "http_timestamp_client", "local_timestamp_client"]

TimestampClient = Callable[[bytes], bytes]
"""TimeStampReq DER in, TimeStampResp DER out; raises :class:`TimestampUnavailable`."""

_MAX_RESPONSE_BYTES: Final = 64 * 1024


def local_timestamp_client(
    tsa: TimestampAuthority, clock: Callable[[], datetime]
) -> TimestampClient:
    """Ask Tongban's own TSA in-process; ``clock`` gives the time to certify."""

    def request(request_der: bytes) -> bytes:
        return respond_timestamp(tsa, request_der, now=clock())

    return request


def http_timestamp_client(url: str, *, timeout: float = 10.0) -> TimestampClient:
    """Ask a TSA over HTTP (RFC 3161, section 3.4: POST application/timestamp-query)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")

    def request(request_der: bytes) -> bytes:
        http_request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=request_der,
            method="POST",
            headers={
                "Content-Type": "application/timestamp-query",
                "Accept": "application/timestamp-reply",
            },
        )
        try:
            with urllib.request.urlopen(http_request, timeout=timeout) as response:  # noqa: S310
                content_type = response.headers.get_content_type()
                body: bytes = response.read(_MAX_RESPONSE_BYTES + 1)
        except (urllib.error.URLError, OSError) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()  # an error status still holds the connection open
            raise TimestampUnavailable(detail=f"{url}: {exc}") from None
        if content_type != "application/timestamp-reply":
            raise TimestampUnavailable(detail=f"{url}: answered {content_type}")
        if len(body) > _MAX_RESPONSE_BYTES:
            raise TimestampUnavailable(detail=f"{url}: response larger than 64 KiB")
        return body

    return request
