"""Fixtures for the signing tests: a small internal PKI, seals, stampers, approvals."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from signing_support import NOW
from signing_support import VECTORS
from signing_support import make_pki
from signing_support import make_seal

from keys.pki import InternalPKI
from signing.pades import SealCredentials
from signing.pades import SealStamper
from signing.pades import TrustAnchors
from signing.render import RenderedApproval
from signing.render import parse_approval_data
from signing.render import render_approval
from signing.seal_image import SealDesign
from signing.seal_image import SealImage
from signing.seal_image import draw_seal
from signing.timestamping import local_timestamp_client


@pytest.fixture(scope="session")
def pki() -> InternalPKI:
    return make_pki(NOW)


@pytest.fixture(scope="session")
def seal_image() -> SealImage:
    return draw_seal(
        SealDesign("浙江省市场监督管理局", purpose="行政审批专用章", code="3300000012345")
    )


@pytest.fixture(scope="session")
def seal(pki: InternalPKI) -> SealCredentials:
    return make_seal(pki, "浙江省市场监督管理局", "浙江省市场监督管理局行政审批专用章", NOW)


@pytest.fixture(scope="session")
def second_seal(pki: InternalPKI) -> SealCredentials:
    return make_seal(pki, "浙江省商务厅", "浙江省商务厅行政审批专用章", NOW)


@pytest.fixture(scope="session")
def stamper_for(
    pki: InternalPKI, seal_image: SealImage
) -> Callable[[SealCredentials], SealStamper]:
    stampers: dict[int, SealStamper] = {}

    def build(credentials: SealCredentials) -> SealStamper:
        key = id(credentials)
        if key not in stampers:
            stampers[key] = SealStamper(
                credentials,
                seal_image,
                local_timestamp_client(pki.tsa, lambda: NOW),
                reason="行政审批",
                location="浙江省杭州市",
            )
        return stampers[key]

    return build


@pytest.fixture(scope="session")
def approval_data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((VECTORS / "approval.json").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="session")
def rendered(approval_data: dict[str, Any]) -> RenderedApproval:
    return render_approval(parse_approval_data(approval_data))


@pytest.fixture(scope="session")
def joint_rendered(approval_data: dict[str, Any]) -> RenderedApproval:
    data = {**approval_data, "issuers": ["浙江省市场监督管理局", "浙江省商务厅"]}
    return render_approval(parse_approval_data(data))


@pytest.fixture
def trust(pki: InternalPKI) -> TrustAnchors:
    return TrustAnchors(roots=(pki.root.certificate,))
