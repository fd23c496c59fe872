"""Fixtures of the web side's tests: a store on each backend."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    """An empty store on each backend in turn: SQLite in a data folder, then a fresh PostgreSQL database."""
    from qkit.web.store import Store

    if request.param == "sqlite":
        return Store(tmp_path / "data")
    return Store(request.getfixturevalue("postgres_url"))
