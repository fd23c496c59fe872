"""A user's own rubric file: whatever order it lists its bands in, every view reads them the same way."""

from __future__ import annotations

import yaml

from conftest import RUBRICS, write_yaml
from qkit import RubricIndex, score
from qkit.document import from_data
from qkit.tables import clause_frame, maturity_label


def lowest_first_rubric(folder):
    """The individual award as a user file named my-individual, its bands (and descriptors) lowest first."""
    data = yaml.safe_load((RUBRICS / "wuhan-individual.yaml").read_text(encoding="utf-8"))
    data["id"] = "my-individual"
    data["bands"] = data["bands"][::-1]
    for group in data["groups"]:
        for indicator in group["indicators"]:
            indicator["descriptors"] = indicator["descriptors"][::-1]
    folder.mkdir()
    write_yaml(folder / "my-individual.yaml", data)
    return folder


def test_a_total_below_every_band_names_the_lowest_band_whatever_the_order(cli, tmp_path):
    rubrics = lowest_first_rubric(tmp_path / "rubrics")
    rubric = RubricIndex.scan([rubrics]).load("my-individual")
    assert rubric.bands[0].min == 30  # really listed lowest first
    doc = write_yaml(tmp_path / "doc.yaml", {"rubric": "my-individual", "applicant": {"name": "测试"},
                                            "clauses": {c.id: {"score": 20} for c in rubric.clauses}})
    code, out, _ = cli("score", doc, "--rubrics", rubrics)
    assert code == 0
    assert "低于最低描述档次（30%–45%）" in out and "90%–100%" not in out

    card = score(from_data(yaml.safe_load(doc.read_text(encoding="utf-8")), RubricIndex.scan([rubrics])), rubric)
    assert maturity_label(card, "en") == "below the lowest described level (30%–45%)"
    flags = clause_frame(card, "zh").iloc[:, 9]
    assert set(flags) == {"低于最低档"}
    assert all(c.flag.params["band"] == "30%–45%" for c in card.clauses)

