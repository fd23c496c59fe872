"""qkit serve with many people at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import needs_chromium, serving
from qkit.web.serve import IOPUB_TIMEOUT, voila_argv
from qkit.web.store import Store, access_path

RUBRIC = "hubei-manufacturing"
RENDER = 180_000  # ms: eight kernels starting at once on a busy two-core machine


# --- in the browser -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_eight_people_opening_their_links_at_once_all_get_their_form(tmp_path, browser):
    """Three bursts of eight pages. Under such load Voila used to render some pages before their form had
    reached it (blank, or "model not found")."""
    store = Store(tmp_path / "data")
    names = [f"同时打开单位{i + 1}" for i in range(8)]
    links = [access_path(*store.add_applicant(name, RUBRIC)) for name in names]
    with serving(tmp_path, "--data", str(tmp_path / "data")) as (base, _):
        for burst in range(3):
            contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in links]
            pages = [context.new_page() for context in contexts]
            for page, url in zip(pages, links):
                page.goto(base + url, wait_until="commit", timeout=RENDER)
            for page, name in zip(pages, names):
                page.wait_for_selector(".qkit-total-value", timeout=RENDER)
                assert page.get_by_text("model not found").count() == 0, burst
                assert name in page.locator(".qkit-form").first.inner_text(), burst  # each sees their own
            for page in pages:
                page.close(run_before_unload=True)
            for context in contexts:
                context.close()


def test_voila_waits_for_a_cells_last_outputs():
    assert f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}" in voila_argv(Path("/srv/workbooks"), 8866, False)
    assert IOPUB_TIMEOUT >= 60
