"""pyHanko's ``TimeStamper`` backed by a :data:`signing.timestamping.TimestampClient`."""

from __future__ import annotations

from typing import Any
from typing import ClassVar

from asn1crypto import core
from asn1crypto import tsp
from pyhanko.sign.timestamps import TimeStamper

from signing.errors import TimestampUnavailable
from signing.timestamping import TimestampClient

__all__ = ["ClientTimeStamper"]


class _StatusOnly(core.Sequence):  # type: ignore[misc]
    # asn1crypto's TimeStampResp requires a token, which a refusal (RFC 3161, 2.4.2)
    # leaves out; read the status with this before trusting the full structure.
    _fields: ClassVar = [("status", tsp.PKIStatusInfo), ("token", core.Any, {"optional": True})]


class ClientTimeStamper(TimeStamper):
    """Send pyHanko's timestamp requests through a TimestampClient.

    Keep one instance per client: pyHanko caches a dummy token in it for sizing.
    """

    def __init__(self, client: TimestampClient) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self._client = client

    async def async_request_tsa_response(self, req: Any) -> Any:
        response_der = self._client(req.dump())
        try:
            status = _StatusOnly.load(response_der)["status"]
            granted = status["status"].native in ("granted", "granted_with_mods")
            if not granted:
                reasons = ", ".join(status["fail_info"].native or ()) or "no reason given"
                raise TimestampUnavailable(detail=f"TSA refused the request: {reasons}")
            response = tsp.TimeStampResp.load(response_der)
            if response["time_stamp_token"]["content_type"].native != "signed_data":
                raise TimestampUnavailable(detail="the TSA token is not CMS SignedData")
        except (ValueError, TypeError, KeyError) as exc:
            raise TimestampUnavailable(detail=f"unreadable TSA response: {exc}") from exc
        return response
