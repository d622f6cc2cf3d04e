"""A fake SMS provider over HTTP: checks signatures, drops duplicate message ids, keeps
what it would have sent so tests can read the codes."""

from __future__ import annotations

from typing import Any

from tests.fakes.signed_service import SignedService

ACCOUNT = "tongban-test"
SECRET = b"sms-test-secret-0123456789abcdef"


class FakeSMSGateway(SignedService):
    def __init__(self) -> None:
        super().__init__({ACCOUNT: SECRET})
        self.sent: list[dict[str, str]] = []

    def handle(self, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path != "/v1/messages":
            return 404, {"error": "not found"}
        if payload.get("account") != ACCOUNT or not payload.get("message_id"):
            return 400, {"error": "bad request"}
        if not any(m["message_id"] == payload["message_id"] for m in self.sent):
            self.sent.append(
                {
                    "message_id": payload["message_id"],
                    "phone": payload["phone"],
                    "text": payload["text"],
                }
            )
        return 200, {"message_id": payload["message_id"], "status": "accepted"}

    def last_text_to(self, phone: str) -> str:
        return next(m["text"] for m in reversed(self.sent) if m["phone"] == phone)
