"""Documents converted from JSON: years written as strings are years, and a mistake made 250 times is said once."""

from __future__ import annotations

import yaml

from support.documents import SAMPLES, write_yaml
from qkit import check


def sample_with_years(convert) -> dict:
    data = yaml.safe_load((SAMPLES / "hubei-service-jiangcheng.yaml").read_text(encoding="utf-8"))
    for kpi in data["results"]:
        kpi["values"] = {convert(y): v for y, v in kpi["values"].items()}
        for name, series in kpi.get("comparisons", {}).items():
            kpi["comparisons"][name] = {convert(y): v for y, v in series.items()}
    return data


def test_four_digit_years_as_strings_are_years():
    as_ints, problems = check(sample_with_years(int))
    assert problems == []
    for convert in (str, lambda y: f"{y}年", lambda y: f" {y} "):
        doc, problems = check(sample_with_years(convert))
        assert problems == [], problems[:3]
        assert [k.values for k in doc.results] == [k.values for k in as_ints.results]
        assert [k.comparisons for k in doc.results] == [k.comparisons for k in as_ints.results]


def test_strings_that_are_not_years_are_still_refused():
    for bad in ("２０２５", "20251", "year", "1850", ""):
        data = sample_with_years(int)
        data["results"][0]["values"] = {bad: 1.0}
        _, problems = check(data)
        assert [p.code for p in problems] == ["year"], bad


def test_a_problem_repeated_in_many_places_is_one_line_with_the_count(cli, tmp_path):
    doc = write_yaml(tmp_path / "bad.yaml", sample_with_years(lambda y: f"{y}x"))
    _, problems = check(yaml.safe_load(doc.read_text(encoding="utf-8")))
    code, _, err = cli("validate", doc)
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(lines) == 1 and f"共 {len(problems)} 处" in lines[0] and len(problems) > 100
    assert "results/1/values/2021x" in lines[0] and "年份应为四位数的年份" in lines[0]
    code, _, err = cli("validate", doc, "--lang", "en")
    assert f"({len(problems)} places: results/1/values/2021x" in err


def test_two_different_mistakes_stay_apart_and_a_pair_is_listed_in_full(cli, tmp_path):
    data = sample_with_years(int)
    data["clauses"]["5.2.2"]["score"] = 33
    data["clauses"]["5.2.3"]["score"] = 120
    data["results"][0]["values"] = {"20x1": 1.0}
    code, _, err = cli("validate", write_yaml(tmp_path / "two.yaml", data))
    lines = [line for line in err.splitlines() if line.startswith("  - ")]
    assert code == 1 and len(lines) == 3
    assert any(line.startswith("  - clauses/5.2.2/score") and "33" in line for line in lines)
    assert any(line.startswith("  - clauses/5.2.3/score") and "120" in line for line in lines)
