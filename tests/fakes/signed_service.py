"""The common half of the fake outside services: a WSGI app on loopback that checks the
request signature the way docs/registry-http-contract.md §Signing tells a receiver to,
written here independently of ``idp.authn.signed_http``, plus knobs to make it fail."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

MAX_SKEW = 300


@dataclass
class Fault:
    """What the next ``times`` requests get instead of an answer."""

    times: int
    status: int = 503
    delay: float = 0.0
    body: bytes = b'{"error":"unavailable"}'
    headers: dict[str, str] = field(default_factory=dict)


class SignedService:
    """A fake service: subclasses implement :meth:`handle` for verified requests."""

    def __init__(self, credentials: dict[str, bytes]) -> None:
        self.credentials = credentials
        self.seen_nonces: set[str] = set()
        self.requests: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self.base_url = ""

    def fail_next(self, times: int, **kwargs: Any) -> None:
        self.faults.append(Fault(times, **kwargs))

    def handle(self, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data()
        with self._lock:
            fault = self.faults[0] if self.faults else None
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.pop(0)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            response = Response(fault.body, fault.status, headers=fault.headers)
            return response(environ, start_response)
        problem = self._check_signature(request, body)
        if problem is not None:
            self.refused.append(problem)
            response = Response(json.dumps({"error": problem}), 401)
            return response(environ, start_response)
        payload = json.loads(body)
        with self._lock:
            self.requests.append({"path": request.path, "payload": payload})
            status, answer = self.handle(request.path, payload)
        return Response(
            json.dumps(answer, ensure_ascii=False), status, mimetype="application/json"
        )(environ, start_response)

    def _check_signature(self, request: Request, body: bytes) -> str | None:
        client = request.headers.get("X-Tongban-Client", "")
        timestamp = request.headers.get("X-Tongban-Timestamp", "")
        nonce = request.headers.get("X-Tongban-Nonce", "")
        signature = request.headers.get("X-Tongban-Signature", "")
        secret = self.credentials.get(client)
        if secret is None:
            return "unknown client"
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW:
            return "stale timestamp"
        if len(nonce) != 32:
            return "bad nonce"
        text = "\n".join(
            [
                "TONGBAN-HMAC-SHA256",
                client,
                request.method,
                request.path,
                timestamp,
                nonce,
                hashlib.sha256(body).hexdigest(),
            ]
        )
        expected = "v1=" + hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "bad signature"
        with self._lock:
            if nonce in self.seen_nonces:
                return "replayed nonce"
            self.seen_nonces.add(nonce)
        return None


@contextmanager
def serving(service: SignedService) -> Iterator[str]:
    """Serve ``service`` on 127.0.0.1 at a free port; yield its base URL."""
    server = make_server("127.0.0.1", 0, service.wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service.base_url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield service.base_url
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
