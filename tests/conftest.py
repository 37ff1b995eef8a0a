"""Session fixtures shared by every test: the real Kafka and PostgreSQL, per-run isolation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.support.stack import TestStack, discover


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestStack]:
    # discover() may start the local stack, which runs its own event loops (asyncio.run):
    # a worker thread has none running, this fixture's loop does
    s = await asyncio.to_thread(discover, tmp_path_factory.mktemp("keys"))
    await s.create_topics("kasane.test.v1")
    try:
        yield s
    finally:
        await s.drop_databases()
        await s.delete_topics()
