"""The OIDC test world (departments, clients, people) for the licence web tests."""

from tests.e2e.oidc.conftest import rp  # noqa: F401 - fixtures shared with the OIDC tests
from tests.e2e.oidc.conftest import world  # noqa: F401
