"""Instances for page tests, with a registration mode chosen per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.harness import PEER_ADDRESSES, Instance, running_instance


@pytest.fixture
def make_instance(
    database_server: str, template_database: str, tmp_path: Path
) -> Callable[..., AbstractAsyncContextManager[Instance]]:
    counter = iter(range(100))

    def start(address: str = PEER_ADDRESSES[0], **overrides: Any) -> AbstractAsyncContextManager[Instance]:
        return running_instance(database_server, template_database, address, tmp_path / str(next(counter)), **overrides)

    return start


@pytest.fixture
async def open_instance(make_instance: Callable[..., Any]) -> AsyncIterator[Instance]:
    async with make_instance(registration_mode="open") as inst:
        yield inst
