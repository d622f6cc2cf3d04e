"""The OpenAPI 3.1 description of the licence API, served at ``/api/licences/openapi.json``.

Written by hand next to the endpoints in :mod:`licences.web`; the tests validate every
response they receive against the schema of its operation and status, so the two cannot
drift apart. The signing service serves its own document at ``/api/openapi.json``; the
paths here are disjoint from its own, so the two merge by union of ``paths`` and
``components``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from typing import Final

__all__ = ["document", "document_bytes"]

_REF: Final = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_PROBLEM: Final = {
    "description": "An error, as RFC 9457 problem details.",
    "content": {"application/problem+json": {"schema": _ref("Problem")}},
}
_ERRORS: Final = {
    "400": _PROBLEM,
    "401": _PROBLEM,
    "403": _PROBLEM,
    "404": _PROBLEM,
    "409": _PROBLEM,
    "422": _PROBLEM,
}
_ID_PARAM: Final = {
    "name": "licence_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
}
_IDEMPOTENCY: Final = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key with the same body returns the licence the first "
        "request created (header Idempotent-Replayed: true); with another body, 422."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
}
_DATE_TIME: Final = {"type": "string", "format": "date-time"}

_SCHEMAS: Final[dict[str, Any]] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "code"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "code": {"type": "string"},
            "detail": {"type": "string"},
            "request_id": {"type": "string"},
        },
    },
    "Holder": {
        "type": "object",
        "required": ["kind", "code", "name"],
        "properties": {
            "kind": {"enum": ["entity", "person"]},
            "code": {"type": "string", "description": "Unified social credit code (entity)."},
            "name": {"type": "string"},
        },
    },
    "LicenceType": {
        "type": "object",
        "required": ["id", "code", "name", "holder", "departments"],
        "properties": {
            "id": {"type": "string"},
            "code": {"type": "string"},
            "name": {
                "type": "object",
                "properties": {"zh-CN": {"type": "string"}, "en": {"type": "string"}},
            },
            "holder": {"enum": ["entity", "person", "any"]},
            "departments": {"type": "array", "items": {"type": "string"}},
            "definition": {"type": "object", "description": "The full type definition."},
        },
    },
    "Licence": {
        "type": "object",
        "required": [
            "id",
            "type",
            "issuer",
            "holder",
            "data",
            "status",
            "state",
            "not_before",
            "not_after",
            "version",
            "issued_at",
            "updated_at",
            "credential",
            "qr_version",
            "record_digest",
        ],
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string"},
            "issuer": {
                "type": "object",
                "required": ["department", "name"],
                "properties": {"department": {"type": "string"}, "name": {"type": "string"}},
            },
            "holder": _ref("Holder"),
            "data": {"type": "object", "description": "As the licence type's schema says."},
            "status": {"enum": ["valid", "suspended", "revoked"]},
            "status_reason": {"type": ["string", "null"]},
            "state": {
                "enum": ["valid", "not_yet_valid", "expired", "suspended", "revoked"],
                "description": "What a verifier sees now: the status, then the period.",
            },
            "not_before": _DATE_TIME,
            "not_after": {"type": ["string", "null"], "format": "date-time"},
            "version": {"type": "integer", "minimum": 1},
            "issued_at": _DATE_TIME,
            "updated_at": _DATE_TIME,
            "credential": {
                "type": "string",
                "description": "The QR code's text: https://…/v/01<digits>.",
            },
            "qr_version": {"type": "integer", "minimum": 1, "maximum": 40},
            "record_digest": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "SHA-256 of `record` in deterministic CBOR, as signed in the QR.",
            },
            "record": {
                "type": "object",
                "description": "The full record the credential's digest covers.",
            },
        },
    },
    "LicenceList": {
        "type": "object",
        "required": ["licences"],
        "properties": {"licences": {"type": "array", "items": _ref("Licence")}},
    },
    "IssueRequest": {
        "type": "object",
        "required": ["type", "holder", "data"],
        "properties": {
            "type": {"type": "string"},
            "holder": _ref("Holder"),
            "data": {"type": "object"},
        },
    },
    "AmendRequest": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "object"},
            "holder_name": {"type": "string"},
            "reason": {"type": "string", "maxLength": 500},
        },
    },
    "StatusChange": {
        "type": "object",
        "properties": {"reason": {"type": "string", "maxLength": 500}},
    },
    "History": {
        "type": "object",
        "required": ["history"],
        "properties": {
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["version", "action", "actor", "at", "status", "data"],
                    "properties": {
                        "version": {"type": "integer"},
                        "action": {"enum": ["issue", "amend", "suspend", "reinstate", "revoke"]},
                        "actor": {"type": "string"},
                        "at": _DATE_TIME,
                        "status": {"type": "string"},
                        "reason": {"type": ["string", "null"]},
                        "data": {"type": "object"},
                    },
                },
            }
        },
    },
    "CheckRequest": {
        "type": "object",
        "required": ["credential"],
        "properties": {"credential": {"type": "string", "maxLength": 4096}},
    },
    "CheckResult": {
        "type": "object",
        "required": ["status", "checked_at"],
        "properties": {
            "status": {
                "enum": [
                    "valid",
                    "not_yet_valid",
                    "expired",
                    "suspended",
                    "revoked",
                    "superseded",
                    "forged",
                ]
            },
            "checked_at": _DATE_TIME,
            "reason": {"type": "string", "description": "For forged: the precise error code."},
            "licence": {
                "type": "object",
                "description": "Only when the signature verified.",
                "properties": {
                    "id": {"type": "string"},
                    "holder": {"type": "object"},
                    "not_before": _DATE_TIME,
                    "not_after": {"type": ["string", "null"]},
                    "issuer": {"type": ["string", "null"]},
                },
            },
        },
    },
    "SharedLicences": {
        "type": "object",
        "required": ["licences"],
        "properties": {
            "licences": {
                "type": "array",
                "items": {"allOf": [_ref("Licence"), {"required": ["record"]}]},
            }
        },
    },
}


def _operation(
    summary: str,
    responses: dict[str, Any],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: str | None = None,
    security: str = "departmentClient",
    scopes: list[str] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {**responses, **_ERRORS},
        "security": [{security: scopes if scopes is not None else ["api:licences"]}],
    }
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    return operation


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document as a dict."""
    licence = _json(_ref("Licence"), "The licence.")
    status_change = _operation(
        "Change the licence's status",
        {"200": licence},
        parameters=[_ID_PARAM],
        body="StatusChange",
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tongban e-licence API (电子证照)",
            "version": "1",
            "description": (
                "For department systems: issue, amend, suspend, reinstate and revoke licences "
                "of the types their department issues, and look up the licence library. Calls "
                "carry an OAuth access token from the client credentials grant with scope "
                "`api:licences` (every type the department issues) or `api:licences:<type>`. "
                "QR format: docs/licence-qr-format.md."
            ),
        },
        "paths": {
            "/api/licences/types": {
                "get": _operation(
                    "Licence types",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["types"],
                                "properties": {
                                    "types": {"type": "array", "items": _ref("LicenceType")}
                                },
                            },
                            "Every licence type.",
                        )
                    },
                )
            },
            "/api/licences/types/{type_id}": {
                "get": _operation(
                    "One licence type with its full definition (JSON Schema of its data)",
                    {"200": _json(_ref("LicenceType"), "The type.")},
                    parameters=[
                        {
                            "name": "type_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                )
            },
            "/api/licences": {
                "post": _operation(
                    "Issue a licence (QR signed, PDF rendered and sealed)",
                    {"201": _json(_ref("Licence"), "The licence issued (or replayed).")},
                    parameters=[_IDEMPOTENCY],
                    body="IssueRequest",
                ),
                "get": _operation(
                    "The department's licences, or a holder's (scope api:licences:library "
                    "for other departments' licences)",
                    {"200": _json(_ref("LicenceList"), "Newest first.")},
                    parameters=[
                        {"name": "holder_code", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "holder_kind",
                            "in": "query",
                            "schema": {"enum": ["entity", "person"]},
                        },
                        {"name": "type", "in": "query", "schema": {"type": "string"}},
                    ],
                ),
            },
            "/api/licences/{licence_id}": {
                "get": _operation(
                    "A licence issued by the caller's department, with its full record",
                    {"200": licence},
                    parameters=[_ID_PARAM],
                )
            },
            "/api/licences/{licence_id}/history": {
                "get": _operation(
                    "Every change of a licence",
                    {"200": _json(_ref("History"), "Oldest first.")},
                    parameters=[_ID_PARAM],
                )
            },
            "/api/licences/{licence_id}/pdf": {
                "get": _operation(
                    "The sealed licence PDF",
                    {
                        "200": {
                            "description": "PDF with the department's seal and the QR code.",
                            "content": {"application/pdf": {}},
                        }
                    },
                    parameters=[_ID_PARAM],
                )
            },
            "/api/licences/{licence_id}/qr.{kind}": {
                "get": _operation(
                    "The licence's QR code (rendered once, at issue)",
                    {
                        "200": {
                            "description": "The QR code image.",
                            "content": {"image/svg+xml": {}, "image/png": {}},
                        }
                    },
                    parameters=[
                        _ID_PARAM,
                        {
                            "name": "kind",
                            "in": "path",
                            "required": True,
                            "schema": {"enum": ["svg", "png"]},
                        },
                    ],
                )
            },
            "/api/licences/{licence_id}/amend": {
                "post": _operation(
                    "Change a licence's data: new version, new QR and PDF; the old QR is "
                    "superseded",
                    {"200": licence},
                    parameters=[_ID_PARAM],
                    body="AmendRequest",
                )
            },
            "/api/licences/{licence_id}/suspend": {"post": status_change},
            "/api/licences/{licence_id}/reinstate": {"post": status_change},
            "/api/licences/{licence_id}/revoke": {"post": status_change},
            "/api/licences/verify": {
                "post": _operation(
                    "Check a scanned QR code's text online",
                    {"200": _json(_ref("CheckResult"), "The outcome.")},
                    body="CheckRequest",
                )
            },
            "/api/licences/shared": {
                "get": _operation(
                    "Licence data a person consented to share: call with the *person's* "
                    "access token from a login with scope licence:<type>",
                    {"200": _json(_ref("SharedLicences"), "The holder's licences of those types.")},
                    security="holderConsent",
                    scopes=["licence:<type>"],
                )
            },
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "departmentClient": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": "/token",
                            "scopes": {
                                "api:licences": "Issue and manage the department's licences",
                                "api:licences:library": "Look up any holder's licences",
                            },
                        }
                    },
                },
                "holderConsent": {
                    "type": "oauth2",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": "/authorize",
                            "tokenUrl": "/token",
                            "scopes": {"licence:<type>": "Read the holder's licences of <type>"},
                        }
                    },
                },
            },
        },
    }


@cache
def document_bytes() -> bytes:
    """The document serialised once."""
    return json.dumps(document(), ensure_ascii=False, indent=1).encode()
