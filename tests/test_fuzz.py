"""Fuzzing the document checker and the CLI with random structures, types, Unicode and sizes.

Every run must end quickly, with exit status 0 or 1, no traceback and bounded
memory. The default profile is short enough for every test run; a long one
runs on demand: ``QKIT_FUZZ=long scripts/test tests/test_fuzz.py``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import RUBRIC_IDS
from qkit import QkitError, RubricIndex, score
from qkit.document import check_partial, parse_yaml

settings.register_profile("short", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("QKIT_FUZZ", "short"))

INDEX = RubricIndex.scan()
CLAUSE_IDS = sorted({c.id for rid in RUBRIC_IDS for c in INDEX.load(rid).clauses})
SECONDS = 10  # what one check may take, on a busy machine
MEMORY = 1024 * 1024 * 1024

# text people do not usually type: controls, right-to-left marks, astral characters, lone surrogate-free oddities
ODD = st.sampled_from(["\u202e", "\u200f", "\u0000", "\u0007", "\x1b[31m", "𠀀", "😀", "\ufeff", "\r\n", "<script>", "=1+1"])
TEXT = st.one_of(st.text(max_size=40), st.builds(lambda a, b, c: a + b + c, st.text(max_size=10), ODD, st.text(max_size=10)),
                 st.text(min_size=2000, max_size=5000, alphabet="长江质量"))
YEARS = st.one_of(st.integers(1800, 2200), st.sampled_from(["2021", "2022年", "20x1", "", "２０２５"]))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True), TEXT,
                   st.dates(), st.sampled_from([33, 120, 55, "50-65", "high", 52.5]))
ANY = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=6),
                                                   st.dictionaries(st.one_of(TEXT, st.integers()), inner, max_size=6)),
                   max_leaves=40)


def kpi():
    return st.fixed_dictionaries({}, optional={
        "clause": st.one_of(st.sampled_from(CLAUSE_IDS), ANY), "name": st.one_of(TEXT, ANY),
        "unit": ANY, "better": st.one_of(st.sampled_from(["higher", "lower"]), ANY), "target": ANY,
        "values": st.one_of(st.dictionaries(YEARS, st.one_of(st.floats(), ANY), max_size=6), ANY),
        "comparisons": st.one_of(st.dictionaries(TEXT, st.dictionaries(YEARS, ANY, max_size=4), max_size=3), ANY),
    })


def rating():
    return st.fixed_dictionaries({}, optional={
        "score": ANY, "factors": st.one_of(st.dictionaries(st.sampled_from(["A", "D", "L", "I", "Le", "T", "C", "X"]),
                                                           st.one_of(st.sampled_from(["50-65", "90–100", "0%-5%"]), ANY),
                                                           max_size=5), ANY),
        "strengths": st.one_of(st.lists(TEXT, max_size=4), ANY), "ofis": ANY, "evidence": ANY, "notes": ANY,
        "unknown": ANY,
    })


DOCUMENT = st.one_of(ANY, st.fixed_dictionaries({}, optional={
    "format_version": st.one_of(st.just(1), ANY),
    "rubric": st.one_of(st.sampled_from(RUBRIC_IDS), ANY),
    "applicant": st.one_of(st.fixed_dictionaries({"name": st.one_of(TEXT, ANY)}, optional={"employees": ANY}), ANY),
    "assessment": ANY,
    "profile": st.one_of(st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), ANY, max_size=5), ANY),
    "clauses": st.one_of(st.dictionaries(st.one_of(st.sampled_from(CLAUSE_IDS), TEXT), rating(), max_size=8), ANY),
    "results": st.one_of(st.lists(kpi(), max_size=5), ANY),
    "extra": ANY,
}))


def check_and_render(data) -> None:
    """What qkit validate and qkit score do with data: check, render every problem, score what passed."""
    doc, problems = check_partial(data, INDEX)
    for lang in ("zh", "en"):
        rendered = QkitError(problems).render(lang) if problems else ""
        assert "Traceback" not in rendered
    if doc is not None:
        score(doc, INDEX.load(doc.rubric)).to_dict()


@given(DOCUMENT)
def test_the_checker_names_problems_and_never_raises(data):
    start = time.monotonic()
    check_and_render(data)
    assert time.monotonic() - start < SECONDS


@given(DOCUMENT)
def test_a_document_written_as_yaml_reads_back_through_the_same_checks(data):
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        return  # not representable as YAML: nothing a user could write
    start = time.monotonic()
    try:
        check_and_render(parse_yaml(text, "fuzz.yaml"))
    except QkitError as exc:
        assert exc.render("zh") and exc.render("en")
    assert time.monotonic() - start < SECONDS


@given(st.text(max_size=400))
def test_any_text_is_read_or_refused_with_a_message(text):
    try:
        check_and_render(parse_yaml(text, "fuzz.yaml"))
    except QkitError as exc:
        assert exc.render("zh")


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("QKIT_FUZZ_CLI", "12")), deadline=None)
@given(st.lists(st.one_of(DOCUMENT.map(lambda d: yaml.safe_dump(d, allow_unicode=True)), st.text(max_size=300)),
                min_size=1, max_size=6))
def test_the_cli_ends_with_0_or_1_and_no_traceback(tmp_path_factory, texts):
    folder = tmp_path_factory.mktemp("fuzz")
    files = []
    for i, text in enumerate(texts):
        path = folder / f"{i}.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        files.append(str(path))
    limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))  # noqa: E731
    for command in (["validate", *files], ["score", files[0]], ["score", files[0], "--json", "--lang", "en"]):
        done = subprocess.run([sys.executable, "-m", "qkit", *command], capture_output=True, text=True,
                              timeout=60, preexec_fn=limit)
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr + done.stdout
