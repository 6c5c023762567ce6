"""The OpenAPI 3.1 document of /api/v1, built from plain dicts (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from lms.accounts.models import Role
from lms.api.models import Scope
from lms.api.problems import PROBLEM_MIMETYPE, TYPES
from lms.certificates.credentials import base_url
from lms.certificates.models import CertificateStatus
from lms.certificates.verification import CHECKS, MAX_TOKEN_LENGTH
from lms.i18n import SUPPORTED_LOCALES
from lms.urls import MAX_ID

MAX_BATCH = 100
_REF = "#/components/schemas/"
_ISO = {"type": ["string", "null"], "format": "date-time"}
_PUBLIC = [{}, {"bearerAuth": []}]  # anonymous, or with a token for a budget of its own
_TOKEN = [{"bearerAuth": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


def _problem(description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MIMETYPE: {"schema": _ref("Problem")}},
        **extra,
    }


_RATE_HEADERS = {
    "RateLimit": {
        "description": "Remaining requests and seconds to reset",
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {"description": "The quota and its window", "schema": {"type": "string"}},
}
_429 = _problem(
    "Too many requests",
    headers={"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}},
)
_401 = _problem("No token, or an unknown or revoked one")
_403 = _problem("The token's scope does not allow this")


def _summary_schema(holder: dict[str, Any]) -> dict[str, Any]:
    result = {
        "type": "object",
        "required": ["code", "title", "priority", "level", "level_name"],
        "properties": {
            "code": {"type": "string"},
            "title": {"type": "string"},
            "priority": {"type": "string"},
            "level": {"type": "integer", "minimum": 0, "maximum": 4},
            "level_name": {"type": "string"},
        },
    }
    return {
        "type": "object",
        "required": [
            "id",
            "status",
            "holder",
            "course",
            "results",
            "issued_at",
            "expires_at",
            "revoked_at",
            "revocation_reason",
            "verify_url",
            "credential",
        ],  # fmt: skip
        "properties": {
            "id": {"type": "string", "examples": ["CC-7F3K-ZT2M-9XHV-P6RA"]},
            "status": {"type": "string", "enum": [status.value for status in CertificateStatus]},
            "holder": holder,
            "course": {
                "type": "object",
                "required": ["slug", "title", "achievement"],
                "properties": {
                    "slug": {"type": "string"},
                    "title": {"type": "string"},
                    "achievement": {"type": "string", "format": "uri"},
                },
            },
            "results": {"type": "array", "items": result},
            "issued_at": _ISO,
            "expires_at": _ISO,
            "revoked_at": _ISO,
            "revocation_reason": {"type": ["string", "null"]},
            "verify_url": {"type": "string", "format": "uri"},
            "credential": {"type": ["string", "null"], "description": "The compact JWS"},
        },
    }


def _page_of(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


def _schemas() -> dict[str, Any]:
    check = {
        "type": "object",
        "required": ["check", "passed", "detail"],
        "properties": {
            "check": {"type": "string", "enum": list(CHECKS)},
            "passed": {"type": ["boolean", "null"], "description": "null: not checked"},
            "detail": {
                "type": "string",
                "description": "What the check found, in English (stable words)",
            },
            "message_id": {
                "type": "string",
                "description": "Stable id of the detail, e.g. verify.signature.mismatch",
            },
            "message": {
                "type": "string",
                "description": "The detail in the response's `language`",
            },
        },
    }
    verification = {
        "type": "object",
        "required": ["valid", "status", "checks", "certificate_id"],
        "properties": {
            "valid": {"type": "boolean"},
            "status": {"type": "string"},
            "checks": {"type": "array", "items": check},
            "certificate_id": {"type": ["string", "null"]},
            "language": {
                "type": "string",
                "enum": list(SUPPORTED_LOCALES),
                "description": "The language of each check's `message` (Accept-Language)",
            },
        },
    }
    batch_item = {
        "type": "object",
        "required": ["index", "kind", *verification["required"]],
        "properties": {
            "index": {"type": "integer", "minimum": 0},
            "kind": {"type": "string", "enum": ["id", "credential"]},
            **verification["properties"],
        },
    }
    name_only = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    full_holder = {
        "type": "object",
        "required": ["id", "name", "email"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
        },
    }
    return {
        "Problem": {
            "type": "object",
            "description": "RFC 9457; `type` is stable: " + ", ".join(sorted(TYPES.values())),
            "required": ["type", "title", "status"],
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "request_id": {"type": "string"},
            },
        },
        "Certificate": _summary_schema(name_only),
        "AdminCertificate": _summary_schema(full_holder),
        "Verification": verification,
        "BatchResult": {
            "type": "object",
            "required": ["results"],
            "properties": {"results": {"type": "array", "items": batch_item}},
        },
        "User": {
            "type": "object",
            "required": ["id", "email", "name", "roles", "organisation", "active", "created_at"],
            "properties": {
                "id": {"type": "integer"},
                "email": {"type": "string"},
                "name": {"type": "string"},
                "roles": {"type": "array", "items": {"enum": [role.value for role in Role]}},
                "organisation": {"type": ["string", "null"]},
                "active": {"type": "boolean"},
                "created_at": {"type": "string", "format": "date-time"},
                "last_login_at": _ISO,
            },
        },
        "CertificatePage": _page_of("AdminCertificate"),
        "UserPage": _page_of("User"),
        "CohortProgress": {
            "type": "object",
            "required": ["cohort", "required_lessons", "trainees"],
            "properties": {
                "cohort": {
                    "type": "object",
                    "required": ["id", "name", "course"],
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "course": {"type": "string"},
                    },
                },
                "required_lessons": {"type": "integer", "minimum": 0},
                "trainees": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "name", "required_lessons_done", "certificate_status"],
                        "properties": {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "required_lessons_done": {"type": "integer", "minimum": 0},
                            "certificate_status": {"type": ["string", "null"]},
                        },
                    },
                },
            },
        },
    }


_PAGE_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "description": "Items per page",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
    {
        "name": "cursor",
        "in": "query",
        "description": "`next_cursor` of the previous page",
        "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
    },
]


def _paths() -> dict[str, Any]:
    # Anything not blank is checked (and may fail the `format` check); blank is refused.
    credential = {
        "type": "string",
        "maxLength": MAX_TOKEN_LENGTH,
        "pattern": "[^ \\t\\r\\n]",
        "description": "The compact JWS",
    }
    jwt_body = {
        **credential,
        "pattern": "^[\\x20-\\x7e\\t\\r\\n]*[\\x21-\\x7e][\\x20-\\x7e\\t\\r\\n]*$",
        "description": "The compact JWS, in printable ASCII",
    }
    return {
        "/certificates/{certificate_id}": {
            "get": {
                "operationId": "getCertificate",
                "summary": "A certificate by its id (public)",
                "security": _PUBLIC,
                "parameters": [
                    {
                        "name": "certificate_id",
                        "in": "path",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 64,
                            "pattern": "^[A-Za-z0-9 -]+$",
                        },
                    }
                ],
                "responses": {
                    "200": _json(
                        _ref("Certificate"),
                        "The certificate",
                        headers={
                            "ETag": {"schema": {"type": "string"}},
                            **_RATE_HEADERS,
                        },
                    ),
                    "304": {"description": "Not modified (If-None-Match)"},
                    "401": _401,
                    "404": _problem("No published certificate has this id"),
                    "429": _429,
                },
            }
        },
        "/verify": {
            "post": {
                "operationId": "verifyCredential",
                "summary": "Verify a signed credential (public)",
                "security": _PUBLIC,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/jwt": {"schema": jwt_body},
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["credential"],
                                "properties": {"credential": credential},
                            }
                        },
                    },
                },
                "responses": {
                    "200": _json(
                        _ref("Verification"), "The checks and the verdict", headers=_RATE_HEADERS
                    ),
                    "400": _problem("No credential in the body"),
                    "401": _401,
                    "413": _problem("The body or the credential in it is too large"),
                    "429": _429,
                },
            }
        },
        "/verify/batch": {
            "post": {
                "operationId": "verifyBatch",
                "summary": f"Verify up to {MAX_BATCH} certificate ids or credentials (public)",
                "security": _PUBLIC,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["items"],
                                "properties": {
                                    "items": {
                                        "type": "array",
                                        "minItems": 1,
                                        "maxItems": MAX_BATCH,
                                        "items": {
                                            "type": "string",
                                            "minLength": 1,
                                            "maxLength": MAX_TOKEN_LENGTH,
                                        },
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        _ref("BatchResult"), "One result per item, in order", headers=_RATE_HEADERS
                    ),
                    "400": _problem("The body is not a list of ids or credentials"),
                    "401": _401,
                    "413": _problem("The body is too large"),
                    "429": _429,
                },
            }
        },
        "/me/certificates": {
            "get": {
                "operationId": "myCertificates",
                "summary": f"The token holder's certificates (scope `{Scope.HOLDER.value}`)",
                "security": _TOKEN,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["items"],
                            "properties": {
                                "items": {"type": "array", "items": _ref("Certificate")}
                            },
                        },
                        "The holder's issued certificates, newest first",
                    ),
                    "401": _401,
                    "403": _403,
                    "429": _429,
                },
            }
        },
        "/certificates": {
            "get": {
                "operationId": "listCertificates",
                "summary": f"All certificates and their status (scope `{Scope.ADMIN_READ.value}`)",
                "security": _TOKEN,
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": [s.value for s in CertificateStatus]},
                    },
                    {
                        "name": "course",
                        "in": "query",
                        "description": "A course slug",
                        # NUL is refused in every query string (lms.errors.refuse_nul_bytes).
                        "schema": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 200,
                            "pattern": "^[^\\x00]*$",
                        },
                    },
                    *_PAGE_PARAMETERS,
                ],
                "responses": {
                    "200": _json(_ref("CertificatePage"), "A page of certificates, oldest first"),
                    "400": _problem("A parameter is not valid"),
                    "401": _401,
                    "403": _403,
                    "429": _429,
                },
            }
        },
        "/users": {
            "get": {
                "operationId": "listUsers",
                "summary": f"Accounts (scope `{Scope.ADMIN_READ.value}`)",
                "security": _TOKEN,
                "parameters": [
                    {
                        "name": "role",
                        "in": "query",
                        "schema": {"type": "string", "enum": [r.value for r in Role]},
                    },
                    *_PAGE_PARAMETERS,
                ],
                "responses": {
                    "200": _json(_ref("UserPage"), "A page of accounts"),
                    "400": _problem("A parameter is not valid"),
                    "401": _401,
                    "403": _403,
                    "429": _429,
                },
            }
        },
        "/cohorts/{cohort_id}/progress": {
            "get": {
                "operationId": "cohortProgress",
                "summary": (
                    "Progress of a cohort's trainees (its trainers with scope `holder`, "
                    "admins with `admin-read`)"
                ),
                "security": _TOKEN,
                "parameters": [
                    {
                        "name": "cohort_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    }
                ],
                "responses": {
                    "200": _json(_ref("CohortProgress"), "Each trainee's progress"),
                    "401": _401,
                    "403": _403,
                    "404": _problem("No cohort this token may see has this id"),
                    "429": _429,
                },
            }
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document; server URLs follow LMS_BASE_URL."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cooperation coach accreditation API",
            "version": "1.0.0",
            "description": (
                "Verify certificates and read accreditation data. Public routes need no token; "
                "others need a personal API token (made on the account page) sent as "
                "`Authorization: Bearer <token>`. Errors are RFC 9457 problems "
                "(`application/problem+json`) with a stable `type`. Lists are paged with "
                "`limit` and `cursor`. Rate limits are announced in `RateLimit` and "
                "`RateLimit-Policy`, and `Retry-After` on 429."
            ),
        },
        "servers": [{"url": f"{base_url()}/api/v1"}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Scopes: " + ", ".join(scope.value for scope in Scope),
                }
            },
        },
    }
