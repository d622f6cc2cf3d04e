"""The outbox worker: every domain's handlers on one durable queue."""

from __future__ import annotations

from idp.provider import Provider
from store.outbox import Outbox
from store.outbox import OutboxWorker
from tongban.licence_wiring import build_licence_service
from tongban.runtime import Runtime
from tongban.services import build_signing


def build_outbox(rt: Runtime) -> Outbox:
    """The outbox with the handlers of every domain registered."""
    outbox = Provider(rt).outbox
    signing = build_signing(rt)
    for kind, handler in signing.outbox_handlers().items():
        outbox.register(kind, handler)
    build_licence_service(rt, signing).register_outbox(outbox)
    return outbox


def start_worker(rt: Runtime) -> OutboxWorker:
    worker = OutboxWorker(build_outbox(rt), interval=rt.settings.worker.interval)
    worker.start()
    return worker
