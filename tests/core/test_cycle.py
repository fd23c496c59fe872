"""Year after year: the next cycle carries the texts and KPIs over and asks for every score again."""

from __future__ import annotations

import yaml

from support.documents import SAMPLES
from qkit import check, load_rubric, score
from qkit.cycle import next_cycle
from qkit.tables import clause_frame
from qkit.i18n import tr

SAMPLE = yaml.safe_load((SAMPLES / "hubei-manufacturing-huake.yaml").read_text(encoding="utf-8"))


def test_the_next_cycle_keeps_texts_and_kpis_and_clears_every_score():
    data = next_cycle(SAMPLE, "2027")
    doc, problems = check(data)
    assert problems == []
    assert doc.assessment["cycle"] == "2027" and "date" not in doc.assessment
    assert doc.results == check(SAMPLE)[0].results and doc.profile == check(SAMPLE)[0].profile
    for cid, rating in doc.clauses.items():
        old = SAMPLE["clauses"][cid]
        assert rating.score is None and rating.factors == {}
        assert rating.previous_score == old.get("score")
        assert list(rating.strengths) == old.get("strengths", []) and list(rating.ofis) == old.get("ofis", [])
    assert SAMPLE["clauses"]["5.2.2"]["score"] is not None  # the earlier cycle is left as it was
    card = score(doc, load_rubric(doc.rubric))
    assert all(c.to_review for c in card.clauses)
    assert set(clause_frame(card).iloc[:, 9]) == {tr("to_review")}


def test_new_cycle_in_the_store_keeps_the_old_cycle_readable(cli, store):
    applicant, _ = store.add_applicant("华科精密", "hubei-manufacturing")
    data = dict(SAMPLE, applicant={**SAMPLE["applicant"], "name": "华科精密"})
    store.save(applicant.id, data, 1)
    code, out, _ = cli("applicants", "new-cycle", str(applicant.id), "--label", "2027", "--data", str(store.dir))
    assert code == 0 and "2027" in out and "第 3 版" in out
    latest = store.latest(applicant.id)
    assert latest.data["assessment"]["cycle"] == "2027" and latest.note.startswith("新周期 2027")
    assert latest.data["clauses"]["5.2.2"]["previous_score"] == SAMPLE["clauses"]["5.2.2"]["score"]
    assert store.revision(applicant.id, 2).data["clauses"]["5.2.2"]["score"] == SAMPLE["clauses"]["5.2.2"]["score"]
    assert "clauses/5.2.2/score" in latest.changed
