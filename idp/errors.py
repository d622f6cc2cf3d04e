"""Identity provider errors.

::

    IdpError
    ├── NotFound               (404) DepartmentNotFound, ClientNotFound, PersonNotFound,
    │                                EntityNotFound
    ├── InvalidInput           (400, shown) a value the caller gave is not acceptable
    │   ├── InvalidClientMetadata   RFC 7591 §3.2.2 invalid_client_metadata
    │   ├── InvalidRedirectURI      RFC 7591 §3.2.2 invalid_redirect_uri
    │   ├── RealNameMismatch        the registry does not confirm the name and number
    │   └── EntityMismatch          the registry does not confirm the entity or its head
    ├── NotAllowed             (403, shown) the person may not do this (e.g. appoint agents
    │                                of an entity they do not represent)
    ├── Conflict               (409, shown) the name, username or code is taken
    │   └── UsernameTaken, PhoneTaken, IdNumberTaken
    ├── LoginFailed            (401) wrong username or password, or a disabled account:
    │                                one message for all, so nothing is revealed
    ├── CertificateRejected    (401, shown) an enterprise certificate login failed
    └── FederationError        a login through the upstream provider did not complete
        ├── UpstreamUnavailable     (503) the upstream did not answer, or not as OIDC says
        ├── UpstreamDenied          (400) the person cancelled, or the upstream refused
        ├── UpstreamLoginInvalid    (401) the ID token or userinfo failed validation
        ├── FederationStateInvalid  (400) unknown, used, expired or another browser's state
        ├── FederationIncomplete    (400) the upstream did not release what is needed
        ├── FederationConflict      (409) the link and the verified ID number disagree
        └── FederationNoAccount     (403) nobody here to link, and creating accounts is off
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


class EntityNotFound(NotFound):
    code = "entity_not_found"


class InvalidInput(IdpError):
    code = "invalid_input"
    http_status = 400
    expose = True


class InvalidClientMetadata(InvalidInput):
    code = "invalid_client_metadata"


class InvalidRedirectURI(InvalidInput):
    code = "invalid_redirect_uri"


class RealNameMismatch(InvalidInput):
    """The registry did not confirm this name with this document. Whether the number is
    unknown or the name differs is not told apart to the person (audit trail only)."""

    code = "realname_mismatch"


class EntityMismatch(InvalidInput):
    code = "entity_mismatch"


class NotAllowed(IdpError):
    code = "not_allowed"
    http_status = 403
    expose = True


class Conflict(IdpError):
    code = "conflict"
    http_status = 409
    expose = True


class UsernameTaken(Conflict):
    code = "username_taken"


class PhoneTaken(Conflict):
    code = "phone_taken"


class IdNumberTaken(Conflict):
    code = "id_number_taken"


class LoginFailed(IdpError):
    code = "login_failed"
    http_status = 401


class CertificateRejected(IdpError):
    """The certificate, its chain, its revocation status or the signed challenge failed;
    the message says which, ``detail`` says more for the log."""

    code = "certificate_rejected"
    http_status = 401
    expose = True


class FederationError(IdpError):
    """A login through the upstream provider did not complete. The message is safe to
    show; ``detail`` (for the log) never holds tokens or personal data."""

    code = "federation_error"
    http_status = 400
    expose = True


class UpstreamUnavailable(FederationError):
    code = "upstream_unavailable"
    http_status = 503


class UpstreamDenied(FederationError):
    code = "upstream_denied"


class UpstreamLoginInvalid(FederationError):
    """One public error for every failed check of the ID token or userinfo answer, so
    the page is no oracle; ``detail`` names the check."""

    code = "upstream_login_invalid"
    http_status = 401


class FederationStateInvalid(FederationError):
    code = "federation_state_invalid"


class FederationIncomplete(FederationError):
    code = "federation_incomplete"


class FederationConflict(FederationError):
    code = "federation_conflict"
    http_status = 409


class FederationNoAccount(FederationError):
    code = "federation_no_account"
    http_status = 403
