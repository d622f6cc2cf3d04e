"""Where an authorization request's parameters come from.

* Plain: the query (GET) or form (POST) of ``/authorize``.
* Pushed (RFC 9126): ``request_uri=urn:ietf:params:oauth:request_uri:<ref>`` names
  parameters the client pushed to ``/par`` earlier; usable once, by that client.
* A request object (RFC 9101): ``request=<JWT>`` signed by the client; then only the
  object's parameters count, and ``client_id``/``response_type`` outside must agree.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from typing import Final

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc6749 import InvalidRequestError
from werkzeug.datastructures import MultiDict

from idp.clients import Client
from idp.oauth.client_keys import ClientKeyError
from idp.oauth.client_keys import ClientKeys
from idp.oauth.errors import safe_description
from keys.jose import JWTError
from keys.jose import unverified_header
from keys.jose import verify_jwt
from store.ephemeral import EphemeralStore

PAR_PREFIX: Final = "urn:ietf:params:oauth:request_uri:"
PAR_KEY: Final = "par:"
#: Parameters that authenticate the client at /par; never part of the request itself.
CLIENT_AUTH_PARAMS: Final = ("client_secret", "client_assertion", "client_assertion_type")
MAX_REQUEST_OBJECT_LIFETIME: Final = 3600


def push(store: EphemeralStore, client_id: str, params: MultiDict[str, str], ttl: int) -> str:
    """Keep pushed parameters; return the ``request_uri`` that names them."""
    ref = secrets.token_urlsafe(32)
    body = json.dumps({"client_id": client_id, "params": list(params.items(multi=True))})
    store.put(PAR_KEY + ref, body.encode(), ttl=ttl)
    return PAR_PREFIX + ref


def take_pushed(
    store: EphemeralStore, request_uri: str, client_id: str | None
) -> MultiDict[str, str]:
    """The parameters pushed under ``request_uri``, once; errors if expired or foreign."""
    if not request_uri.startswith(PAR_PREFIX):
        raise InvalidRequestError(
            "request_uri must come from the pushed authorization request endpoint"
        )
    raw = store.take(PAR_KEY + request_uri[len(PAR_PREFIX) :])
    if raw is None:
        raise InvalidRequestError("request_uri is unknown, used or expired")
    data = json.loads(raw)
    if client_id != data["client_id"]:
        raise InvalidRequestError("client_id does not match the pushed request")
    return MultiDict([tuple(pair) for pair in data["params"]])


def unpack_request_object(
    request_object: str, outer: MultiDict[str, str], client: Client, keys: ClientKeys, issuer: str
) -> MultiDict[str, str]:
    """The parameters inside a signed request object (RFC 9101 §4, §6.3)."""
    try:
        header = unverified_header(request_object)
    except JWTError:
        raise InvalidRequestError("request is not a JWT") from None
    if header.get("alg") in (None, "none"):
        raise InvalidRequestError("unsigned request objects are refused")
    try:
        key, alg = keys.key_for(client, header.get("kid"), header.get("alg"))
        claims = verify_jwt(request_object, lambda _kid: (key, alg), require=())
    except ClientKeyError as exc:
        raise InvalidClientError(
            description=safe_description(f"request object key: {exc}")
        ) from None
    except JWTError as exc:
        raise InvalidRequestError(safe_description(f"request object rejected: {exc}")) from None
    audience = claims.get("aud")
    if audience is not None and issuer not in (
        audience if isinstance(audience, list) else [audience]
    ):
        raise InvalidRequestError("request object aud must be the issuer")
    if claims.get("iss", client.client_id) != client.client_id:
        raise InvalidRequestError("request object iss must be the client_id")
    if "exp" in claims and int(claims["exp"]) - int(time.time()) > MAX_REQUEST_OBJECT_LIFETIME:
        raise InvalidRequestError("request object lives too long")
    for name in ("client_id", "response_type"):
        inside, outside = claims.get(name), outer.get(name)
        if inside is not None and outside is not None and inside != outside:
            raise InvalidRequestError(f"{name} inside and outside the request object differ")
    params: MultiDict[str, str] = MultiDict()
    for name, value in claims.items():
        if name in ("iss", "aud", "exp", "iat", "nbf", "jti", "request", "request_uri"):
            continue
        params.add(name, value if isinstance(value, str) else json.dumps(value))
    params.setdefault("client_id", client.client_id)
    return params


def without_client_auth(form: MultiDict[str, str]) -> MultiDict[str, str]:
    return MultiDict([(k, v) for k, v in form.items(multi=True) if k not in CLIENT_AUTH_PARAMS])


def as_json(params: MultiDict[str, str]) -> list[list[Any]]:
    return [list(pair) for pair in params.items(multi=True)]
