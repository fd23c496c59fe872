"""Whether a test failed, for fixtures that print what helps explain a failure at their teardown."""

from __future__ import annotations

import pytest

PHASES = pytest.StashKey[dict]()  # each phase's report, kept on the test by the root conftest's hook


def failed(request) -> bool:
    """Whether the test that requested a fixture failed (asked at the fixture's teardown)."""
    report = request.node.stash.get(PHASES, {}).get("call")
    return report is not None and report.failed
