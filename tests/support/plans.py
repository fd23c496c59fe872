"""A sample applicant with an improvement plan, and its next cycle with some of the plan done."""

from __future__ import annotations

from pathlib import Path

import yaml

from support.documents import HUAKE



def raw(path: Path = HUAKE) -> dict:
    """A sample's data as read from its file."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def two_cycles() -> tuple[dict, dict]:
    """The sample and its next cycle scored again: 5.7.4 (its OEE action done) up, 5.6.4 (its action done in the new
    cycle) down; 2026's values for OEE (target 84) and 利润总额 (target 4.6)."""
    from qkit.cycle import next_cycle
    from qkit.plan import DONE

    old = raw()
    new = next_cycle(old, "2027")
    for rating in new["clauses"].values():
        rating["score"] = rating["previous_score"]
    new["clauses"]["5.7.4"]["score"] = 80
    new["clauses"]["5.6.4"]["score"] = 65
    next(a for a in new["improvements"] if a["id"] == "5.6.4-1")["status"] = DONE
    kpis = {k["name"]: k for k in new["results"]}
    kpis["设备综合效率（OEE）"]["values"][2026] = 85.0
    kpis["利润总额"]["values"][2026] = 4.5
    return old, new
