"""Fixtures: every storage-touching test runs on SQLite and on PostgreSQL (``backend``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from camgate.config import Settings
from tests.factories import World, make_world
from tests.support import DbTarget, LiveServer, create_schema, in_transaction, make_target, run, settings_for


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DbTarget]:
    yield from make_target(request.param, tmp_path)


@pytest.fixture
def settings(db_target: DbTarget, tmp_path: Path) -> Settings:
    return settings_for(db_target, tmp_path)


@pytest.fixture
def world(settings: Settings) -> World:
    run(create_schema(settings))
    return in_transaction(settings, make_world)


@pytest.fixture
def server(settings: Settings, world: World) -> Iterator[LiveServer]:
    live = LiveServer(settings).start()
    try:
        yield live
    finally:
        live.stop()
