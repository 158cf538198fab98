"""The OpenAPI 3.1 description of the public API (/api/openapi.json), written by hand; it
also describes the signed-in organisation's area follows (server/routes/api_area_follows.py).

tests/server/routes/test_api_schema.py runs schemathesis against a live instance with
this document, so the document and the handlers in server/routes/api.py stay in step.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

_NULLABLE_STRING: JSON = {"type": ["string", "null"]}
_NULLABLE_TIME: JSON = {"type": ["string", "null"], "format": "date-time"}
_NULLABLE_NUMBER: JSON = {"type": ["number", "null"]}


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name: str, description: str, schema: JSON) -> JSON:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_LIMIT = _query("limit", "Items per page (1–100, default 20).", {"type": "integer", "minimum": 1, "maximum": 100})
_CURSOR = _query("cursor", "`next_cursor` of the previous page.", {"type": "string", "maxLength": 400})
_NEIGHBOURHOOD = _query(
    "neighbourhood", "Only this neighbourhood (its name).", {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}
)
_BBOX = "min_lon,min_lat,max_lon,max_lat (GeoJSON order)."
_BBOX_TEXT = "[min_lon, min_lat, max_lon, max_lat] (GeoJSON order)."
_RADIUS = _query("radius", "Metres around `near` (default 1000, at most 100000).", {"type": "number"})
_TAG = _query("tag", "Only items with this hashtag (without #).", {"type": "string", "pattern": r"^\w{1,100}$"})

_ERROR: JSON = {
    "description": "The request cannot be answered; `error` says why.",
    "content": {"application/json": {"schema": _ref("Error")}},
}
_TOO_MANY: JSON = {
    "description": "Rate limited; retry after the number of seconds in Retry-After.",
    "headers": {"Retry-After": {"schema": {"type": "string"}}},
    "content": {"application/json": {"schema": _ref("Error")}},
}


def _list_of(name: str) -> JSON:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": _ref(name)}, "next_cursor": _NULLABLE_STRING},
    }


def _ok(schema: JSON) -> JSON:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _operation(op_id: str, summary: str, parameters: list[JSON], schema: JSON, *, not_found: bool) -> JSON:
    responses: JSON = {"200": _ok(schema), "400": _ERROR, "429": _TOO_MANY}
    if not_found:
        responses["404"] = _ERROR
    return {"get": {"operationId": op_id, "summary": summary, "parameters": parameters, "responses": responses}}


_SCHEMAS: JSON = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
    "Feeds": {
        "type": "object",
        "required": ["atom", "rss", "ics", "webcal"],
        "properties": {k: {"type": "string"} for k in ("atom", "rss", "ics", "webcal")},
    },
    "Neighbourhood": {
        "type": "object",
        "required": ["id", "name", "display_name", "summary", "url", "area_name", "timezone", "feeds"],
        "properties": {
            "id": {"type": "string", "format": "uri"},
            "name": {"type": "string"},
            "display_name": {"type": "string"},
            "summary": {"type": "string", "description": "Sanitised HTML."},
            "url": {"type": "string"},
            "area_name": {"type": "string"},
            "timezone": {"type": "string"},
            "feeds": _ref("Feeds"),
        },
    },
    "Institution": {
        "type": "object",
        "required": ["id", "type", "name", "handle", "url"],
        "properties": {
            "id": {"type": "string"},
            "type": {"enum": ["Organization", "Application", "Service"]},
            "name": {"type": "string"},
            "handle": {"type": "string"},
            "url": {"type": "string"},
        },
    },
    "Embed": {
        "type": "object",
        "required": ["iframe", "html_url"],
        "properties": {"iframe": {"type": "string"}, "html_url": {"type": "string"}},
    },
    "NeighbourhoodDetail": {
        "allOf": [
            _ref("Neighbourhood"),
            {
                "type": "object",
                "required": ["institutions", "embeds"],
                "properties": {
                    "institutions": {"type": "array", "items": _ref("Institution")},
                    "embeds": {
                        "type": "object",
                        "required": ["events", "posts"],
                        "properties": {"events": _ref("Embed"), "posts": _ref("Embed")},
                    },
                },
            },
        ]
    },
    "Author": {
        "type": "object",
        "required": ["id", "name", "handle", "url"],
        "properties": {k: {"type": "string"} for k in ("id", "name", "handle", "url")},
    },
    "Post": {
        "type": "object",
        "required": ["id", "type", "url", "title", "summary", "content", "published", "updated", "tags", "author"],
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string"},
            "url": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string", "description": "Content warning, if any."},
            "content": {"type": "string", "description": "Sanitised HTML."},
            "published": {"type": "string", "format": "date-time"},
            "updated": _NULLABLE_TIME,
            "tags": {"type": "array", "items": {"type": "string"}},
            "author": _ref("Author"),
        },
    },
    "Location": {
        "type": "object",
        "required": ["name", "address", "latitude", "longitude"],
        "properties": {
            "name": _NULLABLE_STRING,
            "address": _NULLABLE_STRING,
            "latitude": _NULLABLE_NUMBER,
            "longitude": _NULLABLE_NUMBER,
        },
    },
    "Event": {
        "type": "object",
        "required": [
            "id",
            "url",
            "name",
            "description",
            "starts_at",
            "ends_at",
            "timezone",
            "status",
            "location",
            "online_url",
            "tags",
            "organiser",
            "ics",
        ],
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": _NULLABLE_TIME,
            "timezone": _NULLABLE_STRING,
            "status": {"enum": ["scheduled", "cancelled", "postponed"]},
            "location": _ref("Location"),
            "online_url": _NULLABLE_STRING,
            "tags": {"type": "array", "items": {"type": "string"}},
            "organiser": {
                "type": "object",
                "required": ["id", "name", "url"],
                "properties": {k: {"type": "string"} for k in ("id", "name", "url")},
            },
            "ics": _NULLABLE_STRING,
        },
    },
    "AreaFollow": {
        "type": "object",
        "required": ["id", "area_name", "bbox", "near"],
        "properties": {
            "id": {"type": "integer"},
            "area_name": _NULLABLE_STRING,
            "bbox": {
                "type": ["array", "null"],
                "items": {"type": "number"},
                "minItems": 4,
                "maxItems": 4,
                "description": _BBOX_TEXT,
            },
            "near": {"oneOf": [{"type": "null"}, _ref("Near")]},
        },
    },
    "Near": {
        "type": "object",
        "required": ["lat", "lon", "radius"],
        "properties": {
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "radius": {"type": "number", "description": "Metres (more than 0, at most 100000)."},
        },
    },
    "AreaFollowListed": {
        "allOf": [
            _ref("AreaFollow"),
            {
                "type": "object",
                "required": ["created_at", "followed", "would_unfollow"],
                "properties": {
                    "created_at": {"type": "string", "format": "date-time"},
                    "followed": {
                        "type": "integer",
                        "description": "Neighbourhoods this area follow has reached that the organisation follows now.",
                    },
                    "would_unfollow": {
                        "type": "integer",
                        "description": "Neighbourhoods whose follows this area follow started itself (and no other "
                        "area follow of the organisation reached): ending it with unfollow_neighbourhoods=true "
                        "unfollows these.",
                    },
                },
            },
        ]
    },
}

_ACCOUNT: JSON = {
    "description": "Not signed in (401) or not an organisation's account (403).",
    "content": {"application/json": {"schema": _ref("Error")}},
}
_AREA_FOLLOW_ID: JSON = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 999999999999999999},
}


def _area_follow_paths() -> JSON:
    """The signed-in organisation's area follows (server/routes/api_area_follows.py)."""
    signed_in: list[JSON] = [{"session": []}]
    return {
        "/api/v1/area-follows": {
            "get": {
                "operationId": "listAreaFollows",
                "summary": "The signed-in organisation's area follows, oldest first.",
                "security": signed_in,
                "responses": {
                    "200": _ok(
                        {
                            "type": "object",
                            "required": ["items"],
                            "properties": {"items": {"type": "array", "items": _ref("AreaFollowListed")}},
                        }
                    ),
                    "401": _ACCOUNT,
                    "403": _ACCOUNT,
                    "429": _TOO_MANY,
                },
            },
            "post": {
                "operationId": "followArea",
                "summary": "Follow every public neighbourhood of an area, now and later. Give `area_name`, "
                "`bbox`, `near`, or several (all must hold); a box or point is judged by each boundary.",
                "security": signed_in,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "area_name": {"type": ["string", "null"], "maxLength": 200},
                                    "bbox": {
                                        "type": ["array", "null"],
                                        "items": {"type": "number"},
                                        "minItems": 4,
                                        "maxItems": 4,
                                    },
                                    "near": {"oneOf": [{"type": "null"}, _ref("Near")]},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Following the area (a new area follow, or the same area's from before).",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["area_follow", "new_follows"],
                                    "properties": {
                                        "area_follow": _ref("AreaFollow"),
                                        "new_follows": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                            "description": "Ids of the Follow activities sent now.",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "400": _ERROR,
                    "401": _ACCOUNT,
                    "403": _ACCOUNT,
                    "413": _ERROR,
                    "415": _ERROR,
                    "429": _TOO_MANY,
                },
            },
        },
        "/api/v1/area-follows/{id}": {
            "delete": {
                "operationId": "endAreaFollow",
                "summary": "End an area follow: neighbourhoods that come into the area later are not followed. "
                "The neighbourhoods it followed stay followed unless `unfollow_neighbourhoods=true`.",
                "security": signed_in,
                "parameters": [
                    _AREA_FOLLOW_ID,
                    _query(
                        "unfollow_neighbourhoods",
                        "Also unfollow the neighbourhoods whose follows this area follow started (default false).",
                        {"enum": ["true", "false"]},
                    ),
                ],
                "responses": {
                    "200": _ok(
                        {
                            "type": "object",
                            "required": ["ended", "unfollowed"],
                            "properties": {"ended": {"type": "integer"}, "unfollowed": {"type": "integer"}},
                        }
                    ),
                    "400": _ERROR,
                    "401": _ACCOUNT,
                    "403": _ACCOUNT,
                    "404": _ERROR,
                    "429": _TOO_MANY,
                },
            }
        },
    }


def openapi_document(base_url: str) -> JSON:
    time = {"type": "string", "description": "A date (2025-06-14) or a date-time with UTC offset."}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Buurtplein public API",
            "version": "1.0.0",
            "description": "Public content, read-only; and the signed-in organisation's area follows "
            "(/api/v1/area-follows, with the web pages' session cookie). Lists are keyset-paginated: pass "
            "`next_cursor` back as `cursor`. CORS: any origin may read public content. Rate limited per "
            "client address (429 + Retry-After).",
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/api/v1/neighbourhoods": _operation(
                "listNeighbourhoods",
                "Public neighbourhoods, by name.",
                [
                    _query(
                        "area",
                        "Only neighbourhoods of this area.",
                        {"type": "string", "minLength": 1, "maxLength": 200},
                    ),
                    _query("bbox", "Only neighbourhoods whose boundary meets this box: " + _BBOX, {"type": "string"}),
                    _query(
                        "near",
                        "Only neighbourhoods whose boundary comes within `radius` of lat,lon.",
                        {"type": "string"},
                    ),
                    _RADIUS,
                    _LIMIT,
                    _CURSOR,
                ],
                _list_of("Neighbourhood"),
                not_found=False,
            ),
            "/api/v1/neighbourhoods/{name}": {
                "get": {
                    **_operation(
                        "getNeighbourhood",
                        "One neighbourhood, its followers that are institutions, and embed snippets.",
                        [],
                        _ref("NeighbourhoodDetail"),
                        not_found=True,
                    )["get"],
                    "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                }
            },
            "/api/v1/posts": _operation(
                "listPosts",
                "Public top-level posts, newest first (the instance's own, or a neighbourhood's).",
                [
                    _NEIGHBOURHOOD,
                    _TAG,
                    _query("since", "Published at or after.", time),
                    _query("until", "Published before.", time),
                    _LIMIT,
                    _CURSOR,
                ],
                _list_of("Post"),
                not_found=True,
            ),
            "/api/v1/events": _operation(
                "listEvents",
                "Public events that have not ended, soonest first.",
                [
                    _NEIGHBOURHOOD,
                    _TAG,
                    _query("from", "Not ended before this (default: a day ago).", time),
                    _query("to", "Starting before this.", time),
                    _query(
                        "bbox",
                        "Events located in this box: " + _BBOX + " An event without its own coordinates matches "
                        "when the boundary of a neighbourhood that organised or announced it meets the box.",
                        {"type": "string"},
                    ),
                    _query(
                        "near",
                        "Events located within `radius` of lat,lon; an event without its own coordinates "
                        "matches when the boundary of a neighbourhood that organised or announced it comes "
                        "within `radius`.",
                        {"type": "string"},
                    ),
                    _RADIUS,
                    _LIMIT,
                    _CURSOR,
                ],
                _list_of("Event"),
                not_found=True,
            ),
            **_area_follow_paths(),
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "bp_session",
                    "description": "The session cookie of the web pages (sign in at /login).",
                }
            },
        },
    }
