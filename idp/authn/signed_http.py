"""Signed JSON requests to outside services (the SMS gateway, the national registry).

Every request carries four headers and is signed with HMAC-SHA256 over a canonical
string, so the receiver can check who sent it, that nothing was changed, and that it
is fresh (``docs/registry-http-contract.md`` §Signing spells this out for receivers)::

    X-Tongban-Client:     the client (account) id
    X-Tongban-Timestamp:  Unix seconds when the request was signed
    X-Tongban-Nonce:      32 hex characters, never reused
    X-Tongban-Signature:  v1=<hex HMAC-SHA256(secret, canonical string)>

    canonical string = "TONGBAN-HMAC-SHA256\\n" client "\\n" METHOD "\\n" path "\\n"
                       timestamp "\\n" nonce "\\n" hex(SHA-256(body))

Transient failures (timeouts, connection errors, HTTP 5xx) are retried a limited number
of times with exponential back-off; a 4xx is never retried. The clock and ``sleep`` are
parameters, so tests neither wait nor patch time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import time
from collections.abc import Callable
from typing import Any
from typing import Final
from urllib.parse import urlsplit

import httpx

SCHEME: Final = "TONGBAN-HMAC-SHA256"
HEADER_CLIENT: Final = "X-Tongban-Client"
HEADER_TIMESTAMP: Final = "X-Tongban-Timestamp"
HEADER_NONCE: Final = "X-Tongban-Nonce"
HEADER_SIGNATURE: Final = "X-Tongban-Signature"
#: Longest back-off between two attempts, in seconds.
MAX_BACKOFF: Final = 2.0


class UpstreamError(Exception):
    """A signed request failed. ``kind`` is ``unavailable`` (worth retrying later),
    ``refused`` (4xx: our request or credentials are wrong) or ``protocol`` (the answer
    was not the JSON object the contract promises). Adapters turn it into their own
    domain error; ``detail`` is for the log only."""

    def __init__(self, kind: str, detail: str, *, retry_after: int = 30) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after


def canonical_string(
    client_id: str, method: str, path: str, timestamp: str, nonce: str, body: bytes
) -> bytes:
    """The string that is signed (see the module docstring)."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((SCHEME, client_id, method.upper(), path, timestamp, nonce, digest)).encode(
        "utf-8"
    )


def sign_headers(
    secret: bytes, client_id: str, method: str, path: str, body: bytes, *, now: float
) -> dict[str, str]:
    """The four signature headers for one request, with a fresh nonce."""
    timestamp = str(int(now))
    nonce = secrets.token_hex(16)
    mac = hmac.new(
        secret, canonical_string(client_id, method, path, timestamp, nonce, body), hashlib.sha256
    )
    return {
        HEADER_CLIENT: client_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: "v1=" + mac.hexdigest(),
    }


class SignedJSONClient:
    """POSTs JSON objects to one service, signed, with timeouts and limited retries."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: bytes,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.25,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not secret:
            raise ValueError("the signing secret is empty")
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        self.base_url = base_url.rstrip("/")
        self._base_path = urlsplit(self.base_url).path
        self._client_id = client_id
        self._secret = secret
        self._retries = retries
        self._backoff = backoff
        self._clock = clock
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout), transport=transport, follow_redirects=False
        )

    def close(self) -> None:
        self._http.close()

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST ``payload`` to ``base_url + path``; return the JSON object answered.

        Raises :class:`UpstreamError` once every attempt failed, or at once on a 4xx.
        """
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        url = self.base_url + path
        signed_path = self._base_path + path
        failure = UpstreamError("unavailable", "no attempt made")
        for attempt in range(self._retries + 1):
            if attempt:
                self._sleep(min(MAX_BACKOFF, self._backoff * 2 ** (attempt - 1)))
            headers = sign_headers(
                self._secret, self._client_id, "POST", signed_path, body, now=self._clock()
            )
            headers["Content-Type"] = "application/json; charset=utf-8"
            headers["Accept"] = "application/json"
            try:
                response = self._http.post(url, content=body, headers=headers)
            except httpx.TimeoutException as exc:
                failure = UpstreamError("unavailable", f"{url}: timed out ({type(exc).__name__})")
                continue
            except httpx.TransportError as exc:
                failure = UpstreamError("unavailable", f"{url}: {type(exc).__name__}: {exc}")
                continue
            status = response.status_code
            if status >= 500:
                failure = UpstreamError(
                    "unavailable",
                    f"{url}: HTTP {status}",
                    retry_after=_retry_after(response, default=30),
                )
                continue
            if status == 429:
                raise UpstreamError(
                    "unavailable",
                    f"{url}: HTTP 429 (rate limited)",
                    retry_after=_retry_after(response, default=60),
                )
            if status >= 300:
                raise UpstreamError("refused", f"{url}: HTTP {status}: {response.text[:200]}")
            try:
                answer = response.json()
            except ValueError:
                raise UpstreamError("protocol", f"{url}: the answer is not JSON") from None
            if not isinstance(answer, dict):
                raise UpstreamError("protocol", f"{url}: the answer is not a JSON object")
            return answer
        raise failure


def _retry_after(response: httpx.Response, *, default: int) -> int:
    """Seconds from a ``Retry-After`` header given in seconds (RFC 9110 §10.2.3)."""
    value = response.headers.get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return default
    if not math.isfinite(seconds) or seconds < 0:
        return default
    return max(1, min(3600, math.ceil(seconds)))
