from __future__ import annotations

import pytest

from tests.e2e.oidc.conftest import World
from tests.e2e.oidc.conftest import any_world  # noqa: F401 - fixture
from tests.e2e.oidc.conftest import rp  # noqa: F401 - fixture
from tests.e2e.oidc.conftest import world  # noqa: F401 - fixture
from tests.e2e.signing.signing_world import SigningWorld
from tests.e2e.signing.signing_world import build_signing_world


@pytest.fixture
def signing(world: World) -> SigningWorld:  # noqa: F811
    return build_signing_world(world)


@pytest.fixture
def any_signing(any_world: World) -> SigningWorld:  # noqa: F811
    return build_signing_world(any_world)
