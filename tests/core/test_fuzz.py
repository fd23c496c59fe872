"""Fuzzing the document checker, the CLI and the web form's session with random structures, types, Unicode and sizes.

Odd values are drawn on purpose: NaN, infinity, 1e999, integers of thousands
of digits, digits that are not ASCII (², ①, ２, ٢), control characters and
lone surrogates, keys written twice, dates that are no dates. Every run must
end quickly, with exit status 0 or 1, no traceback and bounded memory; in
Python nothing but QkitError escapes. The default profile is short enough for
every test run; a long one runs on demand:
``QKIT_FUZZ=long scripts/test tests/core/test_fuzz.py``.
"""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.documents import RUBRIC_IDS, SAMPLES
from qkit import QkitError, RubricIndex, score
from qkit.document import check_partial
from qkit.reading import parse_yaml
from qkit.web.session import Session

settings.register_profile("short", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("QKIT_FUZZ", "short"))

INDEX = RubricIndex.scan()
CLAUSE_IDS = sorted({c.id for rid in RUBRIC_IDS for c in INDEX.load(rid).clauses})
SECONDS = 10  # what one check may take, on a busy machine
MEMORY = 1024 * 1024 * 1024

# text people do not usually type: controls (Word pastes \x0b and \x07), right-to-left marks, astral
# characters, lone surrogates (a tampered page), Rich markup
ODD = st.sampled_from(["\u202e", "\u200f", "\u0000", "\u0007", "\x0b", "\x0c", "\x7f", "\x1b[31m", "𠀀", "😀", "\ufeff",
                       "\r\n", "<script>", "=1+1", "\ud800", "\udfff", "[/bold]", "[link=https://x]"])
# digits float() or int() may read, or that only look like digits: superscripts, circled, full-width, Arabic-Indic
ODD_DIGITS = st.sampled_from(["2025²", "²⁰²⁵", "①", "⑳", "２０２５", "٢٠٢٥", "۲۰۲۵", "१२", "12.5", "1e3", "1e999", "nan",
                              "-inf", "Infinity", "1_000", "0x1F", "9" * 5000])
TEXT = st.one_of(st.text(max_size=40), st.builds(lambda a, b, c: a + b + c, st.text(max_size=10), ODD, st.text(max_size=10)),
                 st.text(min_size=2000, max_size=5000, alphabet="长江质量"), ODD_DIGITS)
YEARS = st.one_of(st.integers(1800, 2200), st.sampled_from(["2021", "2022年", "20x1", "", "２０２５"]), ODD_DIGITS)
# numbers no real document holds; Python data may hold integers up to the 4,300 digits str() writes out
ODD_NUMBERS = st.sampled_from([math.nan, math.inf, -math.inf, float("1e999"), 1e308, 10**16, -(10**400), 10**4000])
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True), TEXT,
                   st.dates(), st.sampled_from([33, 120, 55, "50-65", "high", 52.5]), ODD_NUMBERS)
ANY = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=6),
                                                   st.dictionaries(st.one_of(TEXT, st.integers()), inner, max_size=6)),
                   max_leaves=40)


def kpi():
    return st.fixed_dictionaries({}, optional={
        "clause": st.one_of(st.sampled_from(CLAUSE_IDS), ANY), "name": st.one_of(TEXT, ANY),
        "unit": ANY, "better": st.one_of(st.sampled_from(["higher", "lower"]), ANY), "target": st.one_of(ODD_NUMBERS, ANY),
        "values": st.one_of(st.dictionaries(YEARS, st.one_of(ODD_NUMBERS, st.floats(), ANY), max_size=6), ANY),
        "comparisons": st.one_of(st.dictionaries(TEXT, st.dictionaries(YEARS, ANY, max_size=4), max_size=3), ANY),
    })


def rating():
    return st.fixed_dictionaries({}, optional={
        "score": st.one_of(ODD_NUMBERS, ODD_DIGITS, ANY), "factors": st.one_of(st.dictionaries(st.sampled_from(["A", "D", "L", "I", "Le", "T", "C", "X"]),
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


# the smallest sample as text, with odd values written where YAML reads them: numbers, dates, text, keys
SAMPLE_TEXT = (SAMPLES / "wuhan-individual-chen.yaml").read_text(encoding="utf-8")
SAMPLE_PLACES = {  # what is replaced, and by what (the first occurrence of each)
    "score: 90": st.sampled_from([".nan", ".NaN", ".inf", "-.inf", "1e999", "1.0e999", "9" * 5000, "-" + "9" * 5000,
                                  str(10**400), "2025²", "①", "２０", "0x5A", "90\n    score: 85"]).map("score: {}".format),
    "date: 2026-05-15": st.sampled_from(["2025-13-40", "2025-02-30", "2025-01-01 25:61:00", "0000-01-01", "9999-99-99",
                                         "2026-05-15\n  date: 2026-05-16"]).map("date: {}".format),
    "name: 陈屹峰": st.sampled_from(['"陈\\v屹峰"', '"\\a"', '"\\x00"', '"\\x7f"', '"\\ud800"', '"x\\udfffy"', "[/bold]",
                                    "陈屹峰\n  name: 别人"]).map("name: {}".format),
    "{2021: 8, 2022: 13,": st.sampled_from([".nan", ".inf", "-.inf", "1.0e999", "9" * 5000, str(10**400), "1_000"]).map(
        "{{2021: {}, 2022: 13, 2021: 2,".format),
    "{2021: 260, 2022: 190,": st.sampled_from(["2025²", "①", "２０２１", "٢٠٢١", "9" * 5000, "2021年"]).map(
        "{{{}: 260, 2022: 190,".format),
}
ODD_SAMPLES = st.lists(st.sampled_from(sorted(SAMPLE_PLACES)), min_size=1, unique=True).flatmap(
    lambda places: st.tuples(*(SAMPLE_PLACES[p].map(lambda new, old=p: (old, new)) for p in places))).map(
    lambda changes: _replaced(SAMPLE_TEXT, changes))


def _replaced(text: str, changes) -> str:
    for old, new in changes:
        text = text.replace(old, new, 1)
    return text


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


@given(ODD_SAMPLES)
def test_odd_values_written_in_a_real_document_are_read_or_named(text):
    start = time.monotonic()
    try:
        check_and_render(parse_yaml(text, "fuzz.yaml"))
    except QkitError as exc:
        assert exc.render("zh") and exc.render("en")
    assert time.monotonic() - start < SECONDS


SESSION_RUBRIC = INDEX.load("wuhan-individual")
SESSION_DATA = yaml.safe_load(SAMPLE_TEXT)
TYPED = st.one_of(TEXT, ODD_DIGITS, st.builds(lambda a, b: f"{a}\t{b}", ODD_DIGITS, TEXT))
SESSION_PATHS = st.sampled_from([("applicant", "name"), ("applicant", "organization"), ("assessment", "date"),
                                 ("assessment", "stage"), ("clauses", "1.1", "score"), ("clauses", "1.1", "notes"),
                                 ("clauses", "1.1", "strengths", 0), ("clauses", "1.2", "ofis", 0),
                                 ("results", 0, "name"), ("results", 0, "target"), ("results", 0, "unit")])
EDITS = st.one_of(
    st.tuples(st.just("set"), SESSION_PATHS, st.one_of(SCALAR, TYPED)),
    st.tuples(st.just("set_kpi_value"), st.sampled_from([2021, 2025, "2025²"]), TYPED),
    st.tuples(st.just("set_year"), st.sampled_from([2021, 2025]), TYPED),
    st.tuples(st.just("paste_row"), st.sampled_from([2021, 2023]), TYPED),
)


@given(st.lists(EDITS, min_size=1, max_size=6))
def test_what_is_typed_into_the_form_is_kept_or_refused_with_a_message(edits):
    session = Session(SESSION_RUBRIC, SESSION_DATA, index=INDEX, autosave_delay=None)
    for kind, where, value in edits:
        if kind == "set":
            refused = session.set(where, value)
            assert refused is None or refused.render("zh")
        elif kind == "set_kpi_value":
            session.set_kpi_value(0, ("values",), where, value)
        elif kind == "set_year":
            problem = session.set_year(0, where, value)
            assert problem is None or problem.render("en")
        else:
            session.paste_row(0, ("values",), [where], value)
        for lang in ("zh", "en"):
            assert all(session.all_messages(lang))  # the form's words for each problem shown
            assert all(problem.render(lang) for problem in session.problems)


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("QKIT_FUZZ_CLI", "12")), deadline=None)
@given(st.lists(st.one_of(DOCUMENT.map(lambda d: yaml.safe_dump(d, allow_unicode=True)), st.text(max_size=300),
                          ODD_SAMPLES), min_size=1, max_size=6))
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
