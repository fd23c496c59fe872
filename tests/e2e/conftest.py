"""Fixtures of the end-to-end tests: one ``qkit serve`` that the browser tests of a session share."""

from __future__ import annotations

import pytest

from support.outcome import failed
from support.servers import serving


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """``qkit serve`` over a store of its own: (base URL, the Store, its log file)."""
    from qkit.web.store import Store

    root = tmp_path_factory.mktemp("served")
    with serving(root, "--data", str(root / "data")) as (base, log):
        yield base, Store(root / "data"), log


@pytest.fixture
def server(served, request):
    """The shared ``qkit serve``: (base URL, the Store). Each test adds the applicants it uses. When the test
    failed, what the server (and the kernels of its pages) wrote meanwhile is printed with the failure."""
    base, store, log = served
    start = log.stat().st_size
    yield base, store
    if failed(request):
        with log.open("rb") as written:
            written.seek(start)
            print("--- the server's log during the test:\n" + written.read()[-6000:].decode(errors="replace"))
