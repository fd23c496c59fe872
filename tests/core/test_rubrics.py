"""The seven standards load, add up, and quote the official texts verbatim."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest
import yaml

from support.documents import RUBRIC_IDS, RUBRICS
from qkit import QkitError, available_rubrics, load_rubric
from qkit.rubric_files import RubricIndex, load_rubric_file

CJK = re.compile(r"[\u4e00-\u9fff]")
NOT_FROM_SOURCE = {"provenance", "document", "award", "category", "short", "title_en", "en", "id", "kind", "guidelines"}


def _segments(text: str, markers: list[str]) -> list[str]:
    """Split a source text at the first occurrence of each marker, in order."""
    parts, rest = [], text
    for marker in markers:
        head, _, rest = rest.partition(marker)
        parts.append(head)
    parts.append(rest)
    return parts[1:]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _source_of(rubric_id: str) -> str:
    hubei = (RUBRICS / "sources" / "hubei-changjiang.txt").read_text(encoding="utf-8")
    wuhan = (RUBRICS / "sources" / "wuhan-mayor.txt").read_text(encoding="utf-8")
    hubei_parts = _segments(hubei, ["引 言\n0.1总则"] * 4)
    wuhan_parts = _segments(wuhan, ["\n引言\n", "\n引言\n", "武汉市市长质量奖个人奖评定标准（试行）\n\n一、"])
    order = {
        "hubei-manufacturing": hubei_parts[0], "hubei-service": hubei_parts[1],
        "hubei-education": hubei_parts[2], "hubei-medical": hubei_parts[3],
        "wuhan-manufacturing": wuhan_parts[0], "wuhan-service": wuhan_parts[1],
        "wuhan-individual": wuhan_parts[2],
    }
    return _squash(order[rubric_id])


def _chinese_texts(node, key=None):
    if key in NOT_FROM_SOURCE:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _chinese_texts(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _chinese_texts(v, key)
    elif isinstance(node, str) and CJK.search(node):
        yield node


def test_the_seven_standards_are_listed():
    assert sorted(available_rubrics()) == sorted(RUBRIC_IDS)


@pytest.mark.parametrize("rubric_id", RUBRIC_IDS)
def test_points_add_up(rubric_id):
    rubric = load_rubric(rubric_id)
    assert sum(item.points for item in rubric.items) == rubric.total_points
    for item in rubric.items:
        assert sum(c.points for c in item.clauses) == item.points
    if rubric.kind == "organization":
        assert rubric.total_points == 1000
        assert [i.id for i in rubric.items] == ["5.2", "5.3", "5.4", "5.5", "5.6", "5.7"]
        assert [i.points for i in rubric.items] == [180, 170, 170, 150, 170, 160]
        for item in rubric.items:
            assert [c.kind for c in item.clauses] == ["process", "process", "results"]
            for c in item.clauses:
                if c.kind == "process":
                    assert [r.id for r in c.requirements] == ["a", "b", "c", "d"]
        assert [p.id for p in rubric.profile.prompts] == ["a", "b", "c", "d"]
    else:
        assert rubric.total_points == 100
        assert [(i.id, i.points) for i in rubric.clauses] == [
            ("1.1", 10), ("1.2", 5), ("1.3", 5), ("2.1", 30), ("2.2", 25), ("2.3", 25)]


@pytest.mark.parametrize("rubric_id", RUBRIC_IDS)
def test_texts_are_verbatim_from_the_standard(rubric_id):
    """Every Chinese text occurs in the rubric's own standard (page-break joins allowed)."""
    source = _source_of(rubric_id)
    data = yaml.safe_load((RUBRICS / f"{rubric_id}.yaml").read_text(encoding="utf-8"))
    missing = []
    texts = list(_chinese_texts(data))
    assert len(texts) > 60
    for text in texts:
        for fragment in re.split(r"[。；，：]", _squash(text)):
            if len(fragment) >= 4 and fragment not in source:
                missing.append(fragment)
    assert not missing, missing[:10]


@pytest.mark.parametrize("name", ["hubei", "wuhan"])
def test_scoring_guidelines_are_verbatim(name):
    source = _squash("".join(
        (RUBRICS / "sources" / f).read_text(encoding="utf-8") for f in ["hubei-changjiang.txt", "wuhan-mayor.txt"]
        if f.startswith(name)))
    data = yaml.safe_load((RUBRICS / "guidelines" / f"{name}.yaml").read_text(encoding="utf-8"))
    texts = list(_chinese_texts(data))
    assert len(texts) >= 50
    for text in texts:
        assert _squash(text) in source, text


def test_clause_titles_differ_by_category():
    medical = {c.id: c.title for c in load_rubric("hubei-medical").clauses}
    education = {c.id: c.title for c in load_rubric("hubei-education").clauses}
    assert medical["5.4.2"] == "患者需求" and medical["5.4.3"] == "品牌培育"
    assert education["5.5.2"] == "教职员工管理" and education["5.7.3"] == "教育教学质量"


def test_guidelines_have_six_bands_per_dimension():
    rubric = load_rubric("hubei-manufacturing")
    for dim in (rubric.guidelines.process, rubric.guidelines.results):
        assert [b.key for b in dim.bands] == ["0-5", "10-25", "30-45", "50-65", "70-85", "90-100"]
    assert rubric.guidelines.process.factor_ids == ["A", "D", "L", "I"]
    assert rubric.guidelines.results.factor_ids == ["Le", "T", "C", "I"]


def _broken_copy(tmp_path, edit):
    target = tmp_path / "mine"
    shutil.copytree(RUBRICS / "guidelines", target / "guidelines")
    data = yaml.safe_load((RUBRICS / "hubei-service.yaml").read_text(encoding="utf-8"))
    data["id"] = "my-service"
    edit(data)
    path = target / "my-service.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_clause_points_that_do_not_add_up_name_file_and_item(tmp_path):
    def edit(d):
        d["items"][0]["clauses"][0]["points"] = 55
    with pytest.raises(QkitError) as err:
        load_rubric_file(_broken_copy(tmp_path, edit))
    message = err.value.render("en")
    assert "my-service.yaml" in message and "items.0" in message and "5.2" in message


def test_duplicate_clause_ids_are_refused(tmp_path):
    def edit(d):
        d["items"][1]["clauses"][0]["id"] = "5.2.2"
    with pytest.raises(QkitError) as err:
        load_rubric_file(_broken_copy(tmp_path, edit))
    assert "5.2.2" in err.value.render()


def test_a_band_gap_is_refused(tmp_path):
    target = tmp_path / "mine"
    shutil.copytree(RUBRICS / "guidelines", target / "guidelines")
    g = yaml.safe_load((target / "guidelines" / "hubei.yaml").read_text(encoding="utf-8"))
    g["process"]["bands"][1]["min"] = 15
    (target / "guidelines" / "hubei.yaml").write_text(yaml.safe_dump(g, allow_unicode=True), encoding="utf-8")
    shutil.copy(RUBRICS / "hubei-service.yaml", target / "hubei-service.yaml")
    with pytest.raises(QkitError) as err:
        load_rubric_file(target / "hubei-service.yaml")
    assert "hubei.yaml" in err.value.render() and "process" in err.value.render()


def test_user_rubric_directory_from_the_environment(tmp_path, monkeypatch):
    path = _broken_copy(tmp_path, lambda d: d["category"].update(zh="我的服务类"))
    monkeypatch.setenv("QKIT_RUBRICS", str(path.parent))
    assert "my-service" in available_rubrics()
    assert load_rubric("my-service").category.zh == "我的服务类"


def test_user_rubric_directory_from_the_option(tmp_path, cli):
    path = _broken_copy(tmp_path, lambda d: None)
    code, out, _ = cli("rubrics", "list", "--json", "--rubrics", path.parent)
    assert code == 0 and '"my-service"' in out
    code, out, _ = cli("rubrics", "list", "--json")
    assert '"my-service"' not in out


def test_a_broken_user_rubric_is_reported_by_the_cli(tmp_path, cli):
    path = _broken_copy(tmp_path, lambda d: d["items"][2].update(points="many"))
    code, _, err = cli("rubrics", "show", "my-service", "--rubrics", path.parent)
    assert code == 1
    assert "my-service.yaml" in err and "items.2.points" in err and "Traceback" not in err


def test_a_rubric_is_read_once_until_its_file_is_edited(tmp_path, cli):
    """The loaded rubric is cached by file and modification time: the same object until the file changes."""
    path = _broken_copy(tmp_path, lambda d: None)
    index = RubricIndex.scan([path.parent])
    first = index.load("my-service")
    assert first.clauses[0].title == "引领发展"
    assert index.load("my-service") is first
    assert RubricIndex.scan([path.parent]).load("my-service") is first  # a new index, the same unedited file

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["items"][0]["clauses"][0]["title"] = "引领发展（本地修订）"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    later = path.stat().st_mtime + 5  # a coarse file clock must not hide the edit
    os.utime(path, (later, later))

    edited = index.load("my-service")
    assert edited is not first
    assert edited.clauses[0].title == "引领发展（本地修订）"
    assert first.clauses[0].title == "引领发展"  # what was handed out before is left as it was
    assert index.load("my-service") is edited
    assert load_rubric("my-service", [path.parent]) is edited
    code, out, _ = cli("rubrics", "show", "my-service", "--json", "--rubrics", path.parent)
    assert code == 0 and json.loads(out)["items"][0]["clauses"][0]["title"] == "引领发展（本地修订）"


def test_editing_a_users_guidelines_reloads_the_rubrics_that_use_them(tmp_path):
    """A user's own scoring guidelines are read again when edited, as their rubric files are."""
    folder = tmp_path / "rubrics"
    (folder / "guidelines").mkdir(parents=True)
    data = yaml.safe_load((RUBRICS / "hubei-service.yaml").read_text(encoding="utf-8"))
    data["id"], data["guidelines"] = "my-service", "mine"
    (folder / "my-service.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    guidelines = folder / "guidelines" / "mine.yaml"
    text = (RUBRICS / "guidelines" / "hubei.yaml").read_text(encoding="utf-8")
    guidelines.write_text(text, encoding="utf-8")
    index = RubricIndex.scan([folder])
    first = index.load("my-service")
    intro = first.guidelines.process.intro
    guidelines.write_text(text.replace(intro.strip()[:8], "（本地修订）" + intro.strip()[:8], 1), encoding="utf-8")
    later = guidelines.stat().st_mtime + 5
    os.utime(guidelines, (later, later))
    assert index.load("my-service").guidelines.process.intro.startswith("（本地修订）")
