"""The qkit command as users run it: rubrics, new, validate, score."""

from __future__ import annotations

import csv
import io
import json

import yaml

from support.documents import RUBRIC_IDS, sample_paths
from qkit import check, load_rubric


def test_rubrics_list_shows_the_seven(cli):
    code, out, _ = cli("rubrics", "list")
    assert code == 0
    for rid in RUBRIC_IDS:
        assert rid in out
    assert "湖北省长江质量奖" in out and "个人奖" in out
    code, out, _ = cli("rubrics", "list", "--json")
    assert sorted(r["id"] for r in json.loads(out)) == sorted(RUBRIC_IDS)


def test_rubrics_show_json_shape(cli):
    code, out, _ = cli("rubrics", "show", "hubei-medical", "--json")
    data = json.loads(out)
    assert code == 0 and data["id"] == "hubei-medical" and data["total_points"] == 1000
    assert "湖北省长江质量奖" in data["title"]
    item = data["items"][2]
    assert item["id"] == "5.4" and item["points"] == 170
    assert item["clauses"][0] == {"id": "5.4.2", "title": "患者需求", "kind": "process", "points": 50}
    code, out, _ = cli("rubrics", "show", "hubei-medical", "--json", "--lang", "en")
    assert json.loads(out)["items"][0]["title"] == "Leadership"


def test_rubrics_show_unknown_id(cli):
    code, _, err = cli("rubrics", "show", "hubei-mining")
    assert code == 1 and "未知的评定标准" in err and "hubei-service" in err


def test_new_writes_a_self_explaining_template(cli, tmp_path):
    for rid in RUBRIC_IDS:
        path = tmp_path / f"{rid}.yaml"
        code, out, _ = cli("new", "--rubric", rid, "-o", path)
        assert code == 0 and path.exists()
        text = path.read_text(encoding="utf-8")
        rubric = load_rubric(rid)
        data = yaml.safe_load(text)
        assert list(data["clauses"]) == [c.id for c in rubric.clauses]
        if rubric.kind == "organization":
            sub_point = rubric.clauses[0].requirements[0]
            comments = "".join(line.strip().lstrip("#").strip() for line in text.splitlines()
                                if line.strip().startswith("#"))
            assert f"{sub_point.id}）{sub_point.title}：{sub_point.text}" in comments
            assert rubric.items[0].overview in comments
        else:
            assert rubric.clauses[0].descriptors[0][:20] in text
        data["applicant"]["name"] = "试填单位"
        _, problems = check(data)
        assert problems == [], (rid, problems)


def test_new_refuses_to_overwrite(cli, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("mine", encoding="utf-8")
    code, _, err = cli("new", "--rubric", "hubei-service", "-o", path)
    assert code == 1 and "--force" in err and path.read_text(encoding="utf-8") == "mine"


def test_score_outputs(cli):
    sample = sample_paths()[0]
    code, out, _ = cli("score", sample)
    assert code == 0 and "总分" in out and "成熟度" in out
    code, out, _ = cli("score", sample, "--json")
    data = json.loads(out)
    assert {"total", "max", "items"} <= set(data)
    assert data["total"] == sum(i["earned"] for i in data["items"])
    code, out, _ = cli("score", sample, "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(load_rubric(data["rubric"]).clauses) + 1
    code, out, _ = cli("score", sample, "--lang", "en")
    assert "total" in out
