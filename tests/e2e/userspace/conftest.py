from tests.e2e.idp.conftest import idw  # noqa: F401 - the identity world, shared
from tests.e2e.idp.conftest import make_idworld  # noqa: F401
