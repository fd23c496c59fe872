"""qkit batch: every applicant in parallel, failures isolated and listed, resume, the cohort summary."""

from __future__ import annotations

import csv
import os
import shutil
import time

import openpyxl
import pytest
import yaml

from support.documents import card_of, run_qkit, sample_path, SAMPLES, write_notebook, write_yaml
from qkit.i18n import tr

GOOD = ["hubei-manufacturing-huake", "wuhan-individual-chen"]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Two sample applicants and a broken one, reported in one batch run (no PDF, to keep it quick)."""
    folder = tmp_path_factory.mktemp("applicants")
    out = tmp_path_factory.mktemp("out")
    for stem in GOOD:
        shutil.copy(SAMPLES / f"{stem}.yaml", folder)
    write_yaml(folder / "broken.yaml", {"format_version": 1, "rubric": "hubei-medical", "applicant": {"name": "某医院"},
                                        "clauses": {"5.2.2": {"score": 33}}, "colour": "red"})
    (out / "broken.html").write_text("an old report", encoding="utf-8")
    code, stdout, stderr = run_qkit("batch", folder, "-o", out, "--jobs", "2", "--no-pdf")
    return {"folder": folder, "out": out, "code": code, "stdout": stdout, "stderr": stderr}


@pytest.mark.slow
def test_a_broken_applicant_fails_alone(cohort):
    out, err = cohort["out"], cohort["stderr"]
    assert cohort["code"] == 1
    for stem in GOOD:
        for suffix in (".html", ".xlsx", ".ipynb", ".scores.json"):
            assert (out / f"{stem}{suffix}").is_file(), (stem, suffix)
    assert tr("batch_failures") in err
    assert "broken.yaml" in err
    assert "clauses/5.2.2/score" in err and "colour" in err  # every problem, with its field
    assert "Traceback" not in err + cohort["stdout"]
    assert not (out / "broken.ipynb").exists()  # refused before its notebook ran
    assert not (out / "broken.html").exists()  # no stale report left looking current
    assert tr("batch_done", ok=2, failed=1, skipped=0) in cohort["stdout"]


@pytest.mark.slow
def test_summary_has_one_row_per_reported_applicant(cohort):
    out = cohort["out"]
    cards = {f"{stem}.yaml": card_of(SAMPLES / f"{stem}.yaml") for stem in GOOD}
    with open(out / "summary.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r[tr("file")] for r in rows] == sorted(cards)
    for row in rows:
        card = cards[row[tr("file")]]
        assert row[tr("applicant")] == card.assessment.name
        assert float(row[tr("total")]) == pytest.approx(card.total)
        for item in card.items:
            assert float(row[f"{item.id} {item.name()}"]) == pytest.approx(item.earned)
    sheet = openpyxl.load_workbook(out / "summary.xlsx")[tr("sheet_summary")]
    header = [c.value for c in sheet[1]]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [v[header.index(tr("total"))] for v in values] == [pytest.approx(cards[f].total) for f in sorted(cards)]
    assert (out / "cohort.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_resume_skips_current_reports_and_reruns_touched_ones(cohort, cli):
    folder, out = cohort["folder"], cohort["out"]
    (folder / "broken.yaml").unlink()
    html = {stem: out / f"{stem}.html" for stem in GOOD}
    before = {stem: p.stat().st_mtime_ns for stem, p in html.items()}
    code, stdout, err = cli("batch", folder, "-o", out, "--resume", "--no-pdf")
    assert code == 0, err
    assert tr("batch_done", ok=0, failed=0, skipped=2) in stdout
    assert {stem: p.stat().st_mtime_ns for stem, p in html.items()} == before
    assert (out / "summary.csv").is_file()

    touched = folder / f"{GOOD[1]}.yaml"
    later = time.time() + 5
    os.utime(touched, (later, later))
    code, stdout, err = cli("batch", folder, "-o", out, "--resume", "--no-pdf")
    assert code == 0, err
    assert tr("batch_done", ok=1, failed=0, skipped=1) in stdout
    assert html[GOOD[0]].stat().st_mtime_ns == before[GOOD[0]]
    assert html[GOOD[1]].stat().st_mtime_ns != before[GOOD[1]]


FRAGILE_TEMPLATE = '''\
import os, threading, time
from pathlib import Path
from qkit import sections

name = Path(assessment).stem
if name.endswith("crash"):
    os._exit(1)
if name.endswith("slow"):
    time.sleep(120)
if name.endswith("leave"):
    threading.Timer(0.5, os._exit, (0,)).start()
card = sections.load_scorecard(assessment, rubrics)
scores = sections.write_scores(card, scores_json, lang)
sections.cover(card, lang)
'''


def fragile_template(path):
    """A report template whose kernel dies, hangs or quits later, depending on the document's name."""
    return write_notebook(path, FRAGILE_TEMPLATE,
                          parameters='assessment = ""\nlang = "zh"\nrubrics = []\nscores_json = ""')


@pytest.mark.slow
def test_kernel_death_and_timeout_are_failures_of_one_applicant(cli, tmp_path):
    """One worker meets a dying kernel, then a hanging one, and still reports the next applicant."""
    template = fragile_template(tmp_path / "fragile.ipynb")
    folder = tmp_path / "applicants"
    folder.mkdir()
    for stem in ("a-crash", "b-slow", "c-fine"):
        shutil.copy(sample_path("wuhan-individual"), folder / f"{stem}.yaml")
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("an earlier run's summary", encoding="utf-8")
    code, stdout, err = cli("batch", folder, "-o", out, "--jobs", "1", "--timeout", "5", "--no-pdf",
                            "--template", template, "--lang", "en")
    assert code == 1
    assert tr("batch_done", "en", ok=1, failed=2, skipped=0) in stdout
    assert tr("kernel_died", "en") in err and tr("run_timeout", "en", seconds=5) in err
    assert (out / "c-fine.html").is_file()
    assert (out / "a-crash.ipynb").is_file() and (out / "b-slow.ipynb").is_file()
    assert not (out / "a-crash.html").exists() and not (out / "b-slow.html").exists()
    with open(out / "summary.csv", encoding="utf-8-sig", newline="") as f:
        assert [row[tr("file", "en")] for row in csv.DictReader(f)] == ["c-fine.yaml"]


def test_batch_on_a_folder_without_documents(cli, tmp_path):
    code, stdout, err = cli("batch", tmp_path, "-o", tmp_path / "out")
    assert code == 1 and tr("no_documents") in err and "Traceback" not in err


def test_summary_csv_keeps_formulas_as_text(tmp_path):
    from qkit.batch import write_summary

    data = yaml.safe_load(sample_path("wuhan-individual").read_text(encoding="utf-8"))
    data["applicant"]["name"] = "=1+2"
    doc = write_yaml(tmp_path / "formula.yaml", data)
    write_summary([doc], tmp_path)
    with open(tmp_path / "summary.csv", encoding="utf-8-sig", newline="") as f:
        row = next(csv.DictReader(f))
    assert row[tr("applicant")] == "'=1+2"
    cell = openpyxl.load_workbook(tmp_path / "summary.xlsx").active.cell(2, 2)
    assert (cell.value, cell.data_type) == ("=1+2", "s")


def test_batch_refuses_documents_whose_reports_would_collide(cli, tmp_path):
    for name in ("a.yaml", "a.yml", "summary.yaml"):
        shutil.copy(sample_path("wuhan-individual"), tmp_path / name)
    code, stdout, err = cli("batch", tmp_path, "-o", tmp_path / "out")
    assert code == 1
    assert "a.yaml" in err and "a.yml" in err and "summary.yaml" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_kernel_gone_between_documents_is_replaced(tmp_path):
    from qkit.options import ReportOptions
    from qkit.report import Reporter

    template = fragile_template(tmp_path / "fragile.ipynb")
    docs = [shutil.copy(sample_path("wuhan-individual"), tmp_path / f"{stem}.yaml") for stem in ("a-leave", "b")]
    with Reporter(ReportOptions(template=template, pdf=False)) as reporter:
        reporter.run(docs[0], tmp_path / "out")
        time.sleep(2)  # the first document's kernel quits meanwhile
        files = reporter.run(docs[1], tmp_path / "out")
    assert files.html.is_file()
