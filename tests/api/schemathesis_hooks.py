"""schemathesis hooks for our API: an `application/jwt` body is text, not JSON.

schemathesis files `application/jwt` under the JSON family and would send a token as a quoted
JSON string, which is not a compact JWS. Here it goes on the wire as the text itself, and the
"wrong type" bodies that have no text form (numbers, objects, lists) are not generated for it,
since over `application/jwt` every body is a string.

Loaded by the command line through `SCHEMATHESIS_HOOKS=tests.api.schemathesis_hooks`.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.core import media_types
from schemathesis.transport.asgi import ASGI_TRANSPORT
from schemathesis.transport.requests import REQUESTS_TRANSPORT
from schemathesis.transport.wsgi import WSGI_TRANSPORT

JWT = "application/jwt"


def _is_jwt(media_type: str | None) -> bool:
    return media_types.parse(media_type or "*/*") == ("application", "jwt")


def _text_before_json(transport: Any) -> None:
    as_json = transport._serializers["application/json"]

    def serialize(context: Any, value: Any) -> dict[str, Any]:
        if not _is_jwt(context.case.media_type):
            return as_json(context, value)
        return {"data": value if isinstance(value, bytes) else str(value).encode("utf-8")}

    # The first matching serializer wins, and JSON's matches application/jwt too.
    transport._serializers = {JWT: serialize, **transport._serializers}


for _transport in (ASGI_TRANSPORT, REQUESTS_TRANSPORT, WSGI_TRANSPORT):
    _text_before_json(_transport)


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    return not _is_jwt(case.media_type) or isinstance(case.body, str | bytes)
