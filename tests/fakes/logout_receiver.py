"""A relying party's back-channel logout endpoint on loopback, for tests: it records the
logout tokens it receives and can be made to fail, as a real RP that is down would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response


class LogoutReceiver:
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.down = False
        self.url = ""

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if self.down:
            response = Response("down for maintenance", status=503)
        elif request.method != "POST" or "logout_token" not in request.form:
            response = Response('{"error":"invalid_request"}', status=400)
        else:
            self.tokens.append(request.form["logout_token"])
            response = Response("", status=200, headers={"Cache-Control": "no-store"})
        return response(environ, start_response)


@contextmanager
def logout_receiver() -> Iterator[LogoutReceiver]:
    receiver = LogoutReceiver()
    server = make_server("127.0.0.1", 0, receiver.wsgi, threaded=True)
    receiver.url = f"http://127.0.0.1:{server.server_port}/backchannel-logout"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        thread.join(5)
