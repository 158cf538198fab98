"""The public API answers as its own OpenAPI document says: schemathesis generates
requests from /api/openapi.json (a bounded number per operation) and checks every answer
(status codes, content types, response schemas, no server errors) on a running instance."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.harness import PEER_ADDRESSES, running_instance
from tests.server.feed_data import build_world

EXAMPLES_PER_OPERATION = 30
# Every answer is checked against the document. "Schema-valid request accepted" is not
# checked: an opaque cursor, a bbox or a point are strings the schema cannot fully describe,
# and rejecting a made-up one with 400 is right.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def _check_operations(document: dict[str, Any], base_url: str) -> list[str]:
    """Runs in a worker thread (schemathesis is synchronous); returns the operations checked."""
    schema = schemathesis.openapi.from_dict(document)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(base_url=base_url, timeout=10)
            case.validate_response(response, checks=CHECKS)

        check()
        checked.append(operation.label)
    return checked


async def test_api_conforms_to_its_openapi_document(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(
        database_server, template_database, PEER_ADDRESSES[0], tmp_path, rate_limits_enabled=False
    ) as inst:
        await build_world(inst)
        async with inst.session.get(inst.url("/api/openapi.json")) as resp:
            assert resp.status == 200
            document = await resp.json()
        assert document["openapi"].startswith("3.1")
        checked = await asyncio.to_thread(_check_operations, document, inst.base_url)
    assert len(checked) == 7  # with the area follows, answered 401 without a session
