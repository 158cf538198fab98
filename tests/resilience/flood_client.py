"""A separate process that floods an inbox with signed Creates (bounded count) and prints
the statuses it got as JSON. Input on stdin: {"inbox", "actor", "key_id", "pem", "base",
"count", "concurrency"}."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson

from activitypub import keys
from activitypub.request_signing import sign_request

AS = "https://www.w3.org/ns/activitystreams"


def activity(spec: dict[str, Any]) -> bytes:
    uid = uuid.uuid4().hex
    actor = spec["actor"]
    return orjson.dumps(
        {
            "@context": AS,
            "id": f"{spec['base']}/activities/{uid}",
            "type": "Create",
            "actor": actor,
            "to": [f"{AS}#Public"],
            "object": {
                "id": f"{spec['base']}/notes/{uid}",
                "type": "Note",
                "attributedTo": actor,
                "content": "flood",
                "to": [f"{AS}#Public"],
            },
        }
    )


async def flood(spec: dict[str, Any]) -> Counter[int]:
    private = keys.load_private_key(spec["pem"])
    statuses: Counter[int] = Counter()
    remaining = iter(range(int(spec["count"])))
    timeout = aiohttp.ClientTimeout(total=30)

    async def worker(session: aiohttp.ClientSession) -> None:
        for _ in remaining:
            body = activity(spec)
            headers = sign_request(
                "POST",
                spec["inbox"],
                {"Content-Type": "application/activity+json"},
                body,
                key_id=spec["key_id"],
                private_key=private,
                now=datetime.now(UTC),
            )
            try:
                async with session.post(spec["inbox"], data=body, headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] += 1
            except (aiohttp.ClientError, TimeoutError):
                statuses[0] += 1

    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(int(spec["concurrency"]))))
    return statuses


def main() -> None:
    spec = json.loads(sys.stdin.read())
    statuses = asyncio.run(flood(spec))
    print(json.dumps({str(k): v for k, v in statuses.items()}))


if __name__ == "__main__":
    main()
