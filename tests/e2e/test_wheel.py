"""qkit as a user installs it: a wheel in a fresh virtual environment, run from a folder outside the checkout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.chromium import needs_chromium
from support.documents import ROOT, SAMPLES
from support.servers import get, serving

pytestmark = [pytest.mark.slow, pytest.mark.browser, needs_chromium]

COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "out", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".hypothesis", "qkit-data")


def run(*cmd, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("QKIT_DATA", "QKIT_RUBRICS", "PYTHONPATH")}
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from a copy of the sources, installed alone into a new virtual environment."""
    base = tmp_path_factory.mktemp("wheel")
    source, wheels, venv = base / "src", base / "dist", base / "venv"
    shutil.copytree(ROOT, source, symlinks=True, ignore=COPY_IGNORE)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, source, cwd=base)
    wheel = next(wheels.glob("qkit-*.whl"))
    run(sys.executable, "-m", "venv", venv, cwd=base)
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=base)
    shutil.rmtree(source)  # nothing may still be read from a source tree
    return venv / "bin" / "qkit"


def test_the_installed_wheel_runs_every_command_from_any_folder(installed, tmp_path, new_page):
    work = tmp_path / "elsewhere"
    work.mkdir()
    sample = shutil.copy(SAMPLES / "hubei-manufacturing-huake.yaml", work / "华科.yaml")

    version = run(installed, "--version", cwd=work).stdout
    assert re.fullmatch(r"qkit \d+\.\d+\.\d+\S*\n", version)
    listed = run(installed, "rubrics", "list", "--json", cwd=work).stdout
    for rubric_id in ("hubei-manufacturing", "hubei-service", "hubei-education", "hubei-medical",
                      "wuhan-manufacturing", "wuhan-service", "wuhan-individual"):
        assert f'"{rubric_id}"' in listed

    run(installed, "new", "--rubric", "wuhan-service", "-o", "空白.yaml", cwd=work)
    blank = (work / "空白.yaml").read_text(encoding="utf-8")
    assert "rubric: wuhan-service" in blank and '"5.7.3":' in blank

    scored = run(installed, "score", sample, "--json", cwd=work).stdout
    assert '"rubric": "hubei-manufacturing"' in scored and '"complete": true' in scored

    run(installed, "report", sample, "-o", "报告", "--no-pdf", cwd=work, timeout=600)
    html = (work / "报告" / "华科.html").read_text(encoding="utf-8")
    assert "湖北华科精密制造股份有限公司" in html and "<script" not in html.split("</head>")[1]
    assert (work / "报告" / "华科.xlsx").stat().st_size > 0

    added = run(installed, "applicants", "add", "--name", "轮子测试单位", "--rubric", "hubei-service",
                "--data", work / "data", cwd=work).stdout
    link_path = re.search(r"/voila/render/hubei-service\.ipynb\?key=\S+", added).group(0)
    with serving(work, "--data", str(work / "data"), qkit=[str(installed)]) as (base, _):
        page = new_page()
        page.goto(base + link_path)
        page.wait_for_selector(".qkit-total-value", timeout=90_000)  # the form, drawn by the installed widgets
        assert "轮子测试单位" in page.locator(".qkit-title").inner_text()
        status, landing = get(base + "/")  # the server's own page, from the installed templates and standards
        assert status == 200 and "卓越绩效自评表" in landing and "湖北省长江质量奖评定标准" in landing
