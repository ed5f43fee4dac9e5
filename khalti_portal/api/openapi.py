"""The entitlement API's OpenAPI 3 description at `/api/v1/openapi.json` (a test checks it against the routes)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    "additionalProperties": False,
}
_ENTITLEMENT = {
    "type": "object",
    "required": ["username", "status", "active", "plan", "plan_name", "expires_at", "features"],
    "properties": {
        "username": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "expiring", "grace", "expired", "none"]},
        "active": {"type": "boolean", "description": "Access now: active, expiring or in grace."},
        "plan": {"type": ["string", "null"], "description": "The slug of the plan giving access, if any."},
        "plan_name": {"type": ["string", "null"]},
        "expires_at": {
            "type": ["string", "null"],
            "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
            "description": "When the paid access ends (UTC), grace not included.",
        },
        "features": {"type": "array", "items": {"type": "string"}, "description": "Feature keys unlocked now."},
    },
    "additionalProperties": False,
}


def _response(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


_COMMON = {
    "401": _response("Missing, malformed, unknown or revoked key (the same answer for each).", "Error"),
    "429": {
        **_response("This key used its requests for the minute (API_RATE_PER_MINUTE).", "Error"),
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    },
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "khalti_portal entitlements",
        "version": "1.0.0",
        "description": "Whether a person has access now, for the merchant's own systems. See docs/api.md.",
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/entitlements/{username}": {
            "get": {
                "operationId": "entitlementByUsername",
                "summary": "A person's access now, by username (any case).",
                "parameters": [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": _response("The person's access (active may be false).", "Entitlement"),
                    **_COMMON,
                    "404": _response("No account with that username.", "Error"),
                },
            }
        },
        "/api/v1/entitlements": {
            "get": {
                "operationId": "entitlementByEmail",
                "summary": "A person's access now, by their confirmed email address.",
                "parameters": [{"name": "email", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": _response("The person's access (active may be false).", "Entitlement"),
                    "400": _response("No ?email= given.", "Error"),
                    **_COMMON,
                    "404": _response("No account with that confirmed address.", "Error"),
                },
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "A key from /admin/api-keys."}
        },
        "schemas": {"Entitlement": _ENTITLEMENT, "Error": _ERROR},
    },
}


async def openapi_json(_request: Request) -> JSONResponse:
    """`GET /api/v1/openapi.json`: the description above (no key needed)."""
    return JSONResponse(OPENAPI)
