"""Identity provider errors.

::

    IdpError
    ├── NotFound               (404) DepartmentNotFound, ClientNotFound, PersonNotFound
    ├── InvalidInput           (400, shown) a value the caller gave is not acceptable
    │   ├── InvalidClientMetadata   RFC 7591 §3.2.2 invalid_client_metadata
    │   └── InvalidRedirectURI      RFC 7591 §3.2.2 invalid_redirect_uri
    ├── Conflict               (409, shown) the name, username or code is taken
    └── LoginFailed            (401) wrong username or password, or a disabled account:
                                     one message for all, so nothing is revealed
"""

from __future__ import annotations

from config.errors import TongbanError


class IdpError(TongbanError):
    code = "idp_error"


class NotFound(IdpError):
    code = "not_found"
    http_status = 404
    expose = True


class DepartmentNotFound(NotFound):
    code = "department_not_found"


class ClientNotFound(NotFound):
    code = "client_not_found"


class PersonNotFound(NotFound):
    code = "person_not_found"


class InvalidInput(IdpError):
    code = "invalid_input"
    http_status = 400
    expose = True


class InvalidClientMetadata(InvalidInput):
    code = "invalid_client_metadata"


class InvalidRedirectURI(InvalidInput):
    code = "invalid_redirect_uri"


class Conflict(IdpError):
    code = "conflict"
    http_status = 409
    expose = True


class LoginFailed(IdpError):
    code = "login_failed"
    http_status = 401
