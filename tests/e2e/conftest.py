"""Fixtures of the end-to-end tests: one ``qkit serve`` that the browser tests of a session share."""

from __future__ import annotations

import pytest

from support.servers import serving


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """``qkit serve`` over a store of its own: (base URL, the Store). Each test adds the applicants it uses."""
    from qkit.web.store import Store

    root = tmp_path_factory.mktemp("served")
    with serving(root, "--data", str(root / "data")) as (base, _):
        yield base, Store(root / "data")
