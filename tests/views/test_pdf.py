"""PDFs printed by one headless Chromium kept open (qkit.pdf), for one report or a whole batch."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from support.chromium import CHROMIUM, fake_chromium, needs_chromium
from support.documents import HUAKE, sample_path
from qkit.errors import QkitError
from qkit.pdf import Printer, print_pdf

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>@page { size: A4; margin: 20mm }
h1 { break-after: page; }</style></head><body><h1>自评反馈报告</h1><p>第二页</p></body></html>"""


def pages(pdf: Path) -> list[bytes]:
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    return re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)


@pytest.fixture
def html(tmp_path) -> Path:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    return page


@needs_chromium
def test_one_browser_prints_many_files_in_a4_without_leftovers(tmp_path, html):
    with Printer(str(CHROMIUM)) as printer:
        printer.print_pdf(html, tmp_path / "one.pdf")
        pid = printer._pid
        printer.print_pdf(html, tmp_path / "two.pdf")
        assert printer._pid == pid  # the same browser
    assert not printer.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone, and reaped
    for name in ("one.pdf", "two.pdf"):
        boxes = pages(tmp_path / name)
        assert len(boxes) == 2  # the page break of the print styles
        width, height = (float(v) for v in boxes[0].split()[2:])
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4 from @page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.pdf", "page.html", "two.pdf"]


@needs_chromium
def test_a_browser_that_died_is_replaced(tmp_path, html):
    with Printer(str(CHROMIUM)) as printer:
        printer.print_pdf(html, tmp_path / "one.pdf")
        os.kill(printer._pid, signal.SIGKILL)
        printer.print_pdf(html, tmp_path / "two.pdf")
        assert len(pages(tmp_path / "two.pdf")) == 2


def test_a_failed_print_is_named_and_leaves_no_file(tmp_path):
    with pytest.raises(QkitError) as caught:
        print_pdf(tmp_path / "page.html", tmp_path / "out.pdf", str(tmp_path / "no-chromium"))
    assert "PDF 生成失败" in caught.value.render("zh") and "out.pdf" in caught.value.render("zh")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # kernels
def test_a_reporter_starts_one_browser_for_all_its_reports(tmp_path, monkeypatch):
    from qkit.options import ReportOptions
    from qkit.report import Reporter

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_chromium(bin_dir)
    starts = tmp_path / "starts"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("QKIT_TEST_STARTS", str(starts))
    with Reporter(ReportOptions()) as reporter:
        made = [reporter.run(doc, tmp_path / "out") for doc in (sample_path("wuhan-individual"), HUAKE)]
    assert all(files.pdf and files.pdf.read_bytes() == b"%PDF-1.4 test" and not files.notes for files in made)
    assert starts.read_text().splitlines() == ["started"]
