"""What the served OpenAPI document adds to ninja's: valid parameter examples, and the websocket.

`openapi-spec-validator` holds the document to OpenAPI 3.1 (tests/api/test_openapi.py). OpenAPI has
no way to describe a websocket operation, so `/ws/notifications/` is an `x-websockets` extension
(path, query, message shapes, close codes) plus the `notifications` tag's text, which Swagger UI
shows; docs/notifications.md ("WebSocket protocol") is the long form.
"""

from __future__ import annotations

from typing import Any

from notifications.schemas import NotificationMessage

WS_DOCS = "docs/notifications.md#websocket-protocol"

WS_DESCRIPTION = (
    "Live notifications: `ws(s)://<host>/ws/notifications/?token=<access>[&since=<last_id>]`. "
    "Every notification after `since` is replayed first, in id order, then live ones follow. "
    "Server → client: `{id, type, payload, created_at}` (a notification), `{type: \"pong\"}`, "
    "`{type: \"acked\", id}`, `{type: \"error\", code, message[, id]}`. "
    "Client → server: `{type: \"ack\", id}`, `{type: \"ping\"}`. "
    "Close codes: 4401 token missing, bad or expired (refresh, reconnect with `since`); "
    "4400 `since` is not a non-negative integer; 1011 server failure (reconnect with back-off). "
    "The whole protocol is in the `x-websockets` extension of this document and in "
    f"`{WS_DOCS}` of the service's repository."
)


def _ws_extension() -> dict[str, Any]:
    notification = NotificationMessage.model_json_schema()
    notification.pop("title", None)
    return {
        "/ws/notifications/": {
            "summary": "The person's notification inbox, live (replay with `since`, then pushes).",
            "documentation": WS_DOCS,
            "query": {
                "token": {"required": True, "type": "string",
                          "description": "The JWT access token (as in `Authorization: Bearer`)."},
                "since": {"required": False, "type": "integer", "minimum": 0,
                          "description": "The id of the last notification the client has: later ones are replayed."},
            },
            "server_messages": {
                "notification": notification,
                "pong": {"type": "object", "required": ["type"], "properties": {"type": {"const": "pong"}}},
                "acked": {"type": "object", "required": ["type", "id"],
                          "properties": {"type": {"const": "acked"}, "id": {"type": "integer"}}},
                "error": {
                    "type": "object", "required": ["type", "code", "message"],
                    "properties": {
                        "type": {"const": "error"},
                        "code": {"enum": ["invalid_message", "unknown_message", "not_found"]},
                        "message": {"type": "string", "description": "Human text, in the handshake's Accept-Language."},
                        "id": {"type": "integer"},
                    },
                },
            },
            "client_messages": {
                "ack": {"type": "object", "required": ["type", "id"],
                        "properties": {"type": {"const": "ack"}, "id": {"type": "integer"}}},
                "ping": {"type": "object", "required": ["type"], "properties": {"type": {"const": "ping"}}},
            },
            "close_codes": {
                "4401": "No token, a bad or expired token, an inactive user; also when the token expires while "
                        "connected. Refresh the access token and reconnect with `since`.",
                "4400": "`since` is not a non-negative integer.",
                "1011": "The server failed (e.g. the database is unreachable): reconnect with back-off and `since`.",
            },
        }
    }


def _examples_as_objects(schema: dict[str, Any]) -> None:
    """ninja copies a field's JSON Schema `examples` (a list) onto its parameter, where OpenAPI wants a
    map of Example Objects: turn each list into that map."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                examples = parameter.get("examples")
                if isinstance(examples, list):
                    parameter["examples"] = {f"example{i + 1}": {"value": value} for i, value in enumerate(examples)}


def _describe_websocket(schema: dict[str, Any]) -> None:
    # Declaring tags orders them in Swagger UI: keep the operations' own order.
    names = list(dict.fromkeys(tag for operations in schema.get("paths", {}).values()
                               for operation in operations.values() for tag in operation.get("tags", [])))
    declared = {t["name"]: t for t in schema.get("tags", [])}
    schema["tags"] = [declared.get(name, {"name": name}) for name in dict.fromkeys([*names, "notifications"])]
    next(t for t in schema["tags"] if t["name"] == "notifications")["description"] = WS_DESCRIPTION
    schema["x-websockets"] = _ws_extension()


def contract_schema(schema: dict[str, Any]) -> dict[str, Any]:
    _examples_as_objects(schema)
    _describe_websocket(schema)
    return schema
