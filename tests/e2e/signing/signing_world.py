"""A world for the signing API: the OIDC test world plus a seal, tokens and an OpenAPI checker."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from openapi_core import Config
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.testing import MockRequest
from werkzeug.test import TestResponse

from signing.service import SigningService
from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import basic

ROOT = Path(__file__).resolve().parents[3]
APPROVAL = json.loads((ROOT / "tests" / "vectors" / "signing" / "approval.json").read_text("utf-8"))
_SPEC = OpenAPI.from_dict(
    json.loads((ROOT / "signing" / "openapi.json").read_text("utf-8")),
    config=Config(extra_media_type_deserializers={"application/problem+json": json.loads}),
)


def conforms(response: TestResponse) -> TestResponse:
    """Check a response of the API against the OpenAPI document; return it."""
    sent = response.request
    # The request's body was consumed by the app; path and method find the operation.
    request = MockRequest(sent.host_url.rstrip("/"), sent.method.lower(), sent.path)
    _SPEC.validate_response(request, WerkzeugOpenAPIResponse(response))
    return response


@dataclass
class SigningWorld:
    world: World
    service: SigningService
    seal_id: str

    def token(self, client_id: str = "svc", scope: str = "api:signing") -> str:
        response = self.world.client().post(
            "/token",
            data={"grant_type": "client_credentials", "scope": scope},
            headers=basic(client_id, self.world.secrets[client_id]),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        token: str = response.json["access_token"]  # type: ignore[index]
        return token

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}", **extra}

    def submit(self, body: dict[str, Any], **headers: str) -> TestResponse:
        return conforms(
            self.world.client().post(
                "/api/signing/v1/approvals", json=body, headers=self.headers(**headers)
            )
        )


def build_signing_world(world: World) -> SigningWorld:
    service: SigningService = world.app.extensions["signing"].service
    seal = service.seals.create(
        "scjgj",
        department_name="浙江省市场监督管理局",
        purpose="行政审批专用章",
        code="3300000012345",
        now=datetime.now(UTC),
        actor="test",
    )
    return SigningWorld(world, service, seal.id)
