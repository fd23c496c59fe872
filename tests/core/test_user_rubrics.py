"""A user's own rubric file: whatever order it lists its bands in, every view reads them the same way."""

from __future__ import annotations

import pytest
import yaml

from support.documents import RUBRICS, write_yaml
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


@pytest.mark.slow
def test_the_forms_report_of_a_file_opened_with_its_own_rubrics_and_limits(tmp_path):
    """A notebook opened with qkit.open(path, rubrics=[…]) and the form's report button: the report's kernel is
    told the rubric folders and the word limits the page uses (it once lost both and failed)."""
    import qkit
    from qkit.web.session import Session

    rubrics = lowest_first_rubric(tmp_path / "rubrics")
    rubric = RubricIndex.scan([rubrics]).load("my-individual")
    doc = write_yaml(tmp_path / "doc.yaml", {
        "rubric": "my-individual", "applicant": {"name": "测试"},
        "clauses": {c.id: {"score": 80, "narrative": "测试叙述" * 40} for c in rubric.clauses}})
    session = qkit.open(doc, rubrics=[rubrics], autosave_delay=None)
    name, content, _ = session.export("report")
    assert name.endswith(".html") and "测试" in content.decode("utf-8")
    limits = write_yaml(tmp_path / "limits.yaml", {"default": {"report": 100}})
    limited = Session(rubric, session.data, index=session.index, autosave_delay=None, limits=str(limits))
    assert limited.report_options().limits == limits
    _, content, _ = limited.snapshot().report_file(limited.report_options())
    html = content.decode("utf-8")
    assert "超出" in html  # the section measures against the page's limits, not the shipped ones
