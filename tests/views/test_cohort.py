"""The award office's cohort view: ranks within each standard, clause sheets, several assessors grouped."""

from __future__ import annotations

import copy
import csv
import shutil

import openpyxl
import yaml

from support.documents import SAMPLES, write_yaml
from qkit import load_rubric
from qkit.batch import write_summary
from qkit.i18n import tr


def cohort_folder(tmp_path):
    """The shipped samples, plus two assessors' copies of the Jiangcheng applicant."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for sample in SAMPLES.glob("*.yaml"):
        shutil.copy(sample, folder / sample.name)
    base = yaml.safe_load((SAMPLES / "hubei-service-jiangcheng.yaml").read_text(encoding="utf-8"))
    for name, change in (("张三", 0), ("李四", 20)):
        data = copy.deepcopy(base)
        data["assessment"]["assessors"] = [name]
        data["clauses"]["5.3.2"]["score"] = min(100, data["clauses"]["5.3.2"]["score"] + change)
        write_yaml(folder / f"jiangcheng-{name}.yaml", data)
    (folder / "hubei-service-jiangcheng.yaml").unlink()  # the applicant is now the two assessors' copies
    return folder


def rows(sheet):
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row)) for row in values[1:]]


def test_each_standard_is_ranked_on_its_own_sheet_and_assessors_are_grouped(tmp_path):
    folder, out = cohort_folder(tmp_path), tmp_path / "out"
    out.mkdir()
    docs = sorted(folder.glob("*.yaml"))
    write_summary(docs, out)
    book = openpyxl.load_workbook(out / "summary.xlsx")
    ids = sorted({yaml.safe_load(d.read_text(encoding="utf-8"))["rubric"] for d in docs})
    # each sheet named by the standard as people know it (长江奖服务类), never its id
    assert [n for n in book.sheetnames if n.startswith(tr("sheet_rank"))] == [
        f"{tr('sheet_rank')}-{load_rubric(i).short_title()}" for i in ids]
    assert not [n for n in book.sheetnames if "hubei" in n or "wuhan" in n]
    service = rows(book[f"{tr('sheet_rank')}-长江奖服务类"])
    assert len(service) == 1  # two documents of one applicant are one row
    assert service[0][tr("assessors")] == "张三、李四" and service[0][tr("rank")] == 1
    individual = rows(book[f"{tr('sheet_rank')}-市长奖个人奖"])
    assert individual[0][tr("total_points")] == 100  # never beside the 1000-point standards
    clauses = rows(book[f"{tr('sheet_clauses')}-长江奖服务类"])
    jiangcheng = "湖北江城智运供应链管理有限公司"
    row = next(r for r in clauses if r[tr("clause")] == "5.3.2")
    base = yaml.safe_load((SAMPLES / "hubei-service-jiangcheng.yaml").read_text(encoding="utf-8"))
    assert row[jiangcheng] == (base["clauses"]["5.3.2"]["score"] + 10) / 100  # the median of the two, as a percentage
    weakest = [r[tr("clause")] for r in clauses if r[tr("flag")]]
    means = sorted((r[tr("cohort_mean")], r[tr("clause")]) for r in clauses)
    assert sorted(weakest) == sorted(c for _, c in means[:3])
    sheet = book[f"{tr('sheet_clauses')}-长江奖服务类"]
    highlighted = {r[0].value for r in sheet.iter_rows(min_row=2) if r[0].fill.fgColor.rgb.endswith("FCE4D6")}
    assert highlighted == set(weakest)
    spread = rows(book[tr("sheet_spread")])
    flagged = next(r for r in spread if r[tr("clause")] == "5.3.2")
    assert flagged[tr("range")] == 20  # each assessor's score in a column of its own, a percentage
    assert (flagged["张三"], flagged["李四"]) == (base["clauses"]["5.3.2"]["score"] / 100,
                                                 min(100, base["clauses"]["5.3.2"]["score"] + 20) / 100)


def test_several_standards_of_one_folder_rank_within_their_own(tmp_path):
    folder, out = tmp_path / "docs", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    for sample in ("hubei-manufacturing-huake", "hubei-medical-jingchu"):
        data = yaml.safe_load((SAMPLES / f"{sample}.yaml").read_text(encoding="utf-8"))
        write_yaml(folder / f"{sample}.yaml", data)
        weaker = copy.deepcopy(data)
        weaker["applicant"]["name"] += "（分院）"
        for rating in weaker["clauses"].values():
            rating["score"] = max(0, (rating.get("score") or 0) - 20)
        write_yaml(folder / f"{sample}-weaker.yaml", weaker)
    write_summary(sorted(folder.glob("*.yaml")), out)
    book = openpyxl.load_workbook(out / "summary.xlsx")
    for rid in ("hubei-manufacturing", "hubei-medical"):
        ranked = rows(book[f"{tr('sheet_rank')}-{load_rubric(rid).short_title()}"])
        assert [r[tr("rank")] for r in ranked] == [1, 2]
        assert ranked[0][tr("total")] > ranked[1][tr("total")] and ranked[1][tr(
            "applicant")].endswith("（分院）")
    with open(out / "summary.csv", encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) == 4
