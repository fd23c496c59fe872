"""Odd values a person, a converter or a tampered page can put in a document: each is named, none ends in a traceback.

NaN and infinity, integers of thousands of digits, dates that are no dates,
keys written twice, control characters from a Word paste, lone surrogates,
digits that are not ASCII, Rich markup in names, a regular expression that
backtracks for ever.
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
import time

import openpyxl
import pandas as pd
import pytest
import yaml

from support.documents import SAMPLES, write_yaml
from support.widgets import blank_session
from qkit import RubricIndex, score
from qkit.document import check_partial
from qkit.reading import parse_yaml
from qkit.values import UNWRITABLE, Comment
from qkit.excel import write_sheets, write_workbook
from qkit.i18n import fmt_cell, fmt_points, fmt_value
from qkit.web.session import parse_integer, parse_number, parse_year

SAMPLE = SAMPLES / "wuhan-individual-chen.yaml"  # the smallest sample
INDEX = RubricIndex.scan()


def sample() -> dict:
    return yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))


def codes(problems) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in problems}


# --- scores and numbers -------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_score_of_nan_or_infinity_is_the_usual_score_problem(cli, tmp_path, value):
    data = sample()
    data["clauses"]["1.1"]["score"] = value
    doc = write_yaml(tmp_path / "odd.yaml", data)
    for command in ("validate", "score"):
        code, _, err = cli(command, doc)
        assert code == 1 and "Traceback" not in err
        assert "clauses/1.1/score：得分应为 0 到 100 之间 5 的倍数" in err


@pytest.mark.parametrize("field", ["values", "target"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_no_kpi_numbers(field, value):
    data = sample()
    kpi = data["results"][0]
    kpi[field] = {2024: value} if field == "values" else value
    where = "results/1/values/2024" if field == "values" else "results/1/target"
    doc, problems = check_partial(data, INDEX)
    assert (where, "not_finite") in codes(problems)
    problem = next(p for p in problems if p.field == where)
    assert "有限的数字" in problem.render("zh") and "must be a finite number" in problem.render("en")
    assert all(math.isfinite(v) for k in doc.results for v in [*k.values.values(), k.target or 0])


def test_integers_too_long_or_too_large_for_a_float_are_named_with_their_field(cli, tmp_path):
    text = SAMPLE.read_text(encoding="utf-8")
    long_digits, too_large = "9" * 5000, str(10**400)
    text = text.replace("values: {2021: 8, 2022: 13,", f"values: {{2021: {long_digits}, 2022: {too_large},", 1)
    doc = tmp_path / "huge.yaml"
    doc.write_text(text, encoding="utf-8")
    code, _, err = cli("validate", doc, "--lang", "en")
    assert code == 1 and "Traceback" not in err
    assert "results/1/values/2021: must be a number" in err
    assert "results/1/values/2022: too large: must be a finite number" in err


def test_the_number_formats_never_raise_on_nan_or_infinity():
    assert fmt_value(math.inf) == fmt_value(-math.inf) == fmt_value(math.nan) == "—"
    assert fmt_cell(math.nan) == "—" and fmt_points(math.inf)
    assert fmt_value(1234567.0) == "1,234,567" and fmt_value(0.047) == "0.047"


def test_a_year_given_twice_in_two_spellings_is_named():
    data = sample()
    data["results"][0]["values"] = {2024: 1, "2024年": 2}
    _, problems = check_partial(data, INDEX)
    assert ("results/1/values/2024年", "duplicate_year") in codes(problems)


# --- YAML that PyYAML reads oddly --------------------------------------------------------


@pytest.mark.parametrize("date", ["2025-13-40", "2025-02-30", "2025-01-01 25:61:00"])
def test_a_date_that_is_no_date_is_the_usual_date_problem(cli, tmp_path, date):
    text = SAMPLE.read_text(encoding="utf-8").replace("date: 2026-05-15", f"date: {date}")
    doc = tmp_path / "date.yaml"
    doc.write_text(text, encoding="utf-8")
    code, _, err = cli("validate", doc)
    assert code == 1 and "Traceback" not in err
    assert f"assessment/date：应为日期，格式 YYYY-MM-DD（例如 2026-10-15）（当前值：“{date}”）" in err


def test_a_key_written_twice_is_refused_naming_the_key_and_both_places(cli, tmp_path):
    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace("  name: 陈屹峰\n", "  name: 陈屹峰\n  name: 别人\n", 1)
    text = text.replace("values: {2021: 8, 2022: 13,", "values: {2021: 8, 2022: 13, 2021: 9,", 1)
    doc = tmp_path / "twice.yaml"
    doc.write_text(text, encoding="utf-8")
    code, _, err = cli("validate", doc)
    assert code == 1 and "Traceback" not in err
    assert "字段 'name' 写了两次（第 6 行第 3 列，第 7 行第 3 列）" in err
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "2021: 9" in t)
    assert f"字段 2021 写了两次（第 {line} 行" in err and f"第 {line} 行第 " in err
    code, _, err = cli("validate", doc, "--lang", "en")
    assert "the field 'name' is written twice (line 6, column 3 and line 7, column 3)" in err


def test_a_merge_key_may_be_overridden_and_the_samples_load():
    data = parse_yaml("base: &b {a: 1, b: 2}\nother:\n  <<: *b\n  b: 3\n")
    assert data["other"] == {"a": 1, "b": 3}
    for path in sorted(SAMPLES.glob("*.yaml")):
        parse_yaml(path.read_text(encoding="utf-8"), str(path))


# --- characters a spreadsheet cannot hold -------------------------------------------------


@pytest.mark.parametrize("char", ["\x0b", "\x07", "\x00", "\x1f", "\x7f"])
def test_control_characters_are_named_and_left_out_of_the_partial_document(char):
    data = sample()
    data["applicant"]["organization"] = f"青岚{char}动力"
    data["clauses"]["1.1"]["strengths"][0] = f"第一行{char}第二行"
    data["results"][0]["name"] = f"指标{char}"
    data["profile"] = None
    doc, problems = check_partial(data, INDEX)
    code = f"U+{ord(char):04X}"
    found = {p.field: p for p in problems}
    for where in ("applicant/organization", "clauses/1.1/strengths/1", "results/1/name"):
        assert found[where].code == "control_char" and code in found[where].render("zh")
        assert code in found[where].render("en") and "control character" in found[where].render("en")
    assert "organization" not in doc.applicant
    assert all(char not in s for s in doc.rating("1.1").strengths)
    assert doc.results[0].name == ""
    assert len([p for p in problems if p.field == "clauses/1.1/strengths/1"]) == 1  # not also "empty"


def test_a_lone_surrogate_is_named():
    data = sample()
    data["applicant"]["name"] = "陈\ud800"
    data["results"][0]["comparisons"] = {"标杆\udfff": {2024: 1}}
    doc, problems = check_partial(data, INDEX)
    found = {p.field: p for p in problems}
    assert found["applicant/name"].code == "lone_surrogate" and "U+D800" in found["applicant/name"].render("en")
    assert found["results/1/comparisons/标杆\udfff"].code == "lone_surrogate"
    assert doc.name == "" and doc.results[0].comparisons == {}


def test_tab_and_line_breaks_are_ordinary_text():
    data = sample()
    data["clauses"]["1.1"]["notes"] = "一\t二\r\n三\n四"
    doc, problems = check_partial(data, INDEX)
    assert not problems and doc.rating("1.1").notes == "一\t二\r\n三\n四"


# --- what is typed into the web form ---------------------------------------------------------


@pytest.mark.parametrize("typed", ["2025²", "①", "２０２５", "٢٠٢٥", "3000", "20251", "²⁰²⁵", "2025.0"])
def test_a_typed_year_that_is_no_year_is_kept_as_typed(typed):
    assert parse_year(typed) == typed
    session = blank_session()
    kpi = session.add_kpi("5.2.4")
    year = session.add_year(kpi)
    session.set_kpi_value(kpi, ("values",), year, "82.1")
    assert session.set_year(kpi, year, typed) is None
    assert (f"results/{kpi + 1}/values/{typed}", "year") in codes(session.problems)


def test_the_form_reads_years_as_the_document_check_does():
    assert parse_year("2025") == parse_year(" 2025年 ") == 2025
    assert parse_year(2024) == 2024


@pytest.mark.parametrize("typed", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1E400", "1" + "0" * 400])
def test_a_typed_number_float_reads_as_nan_or_infinity_is_kept_as_typed(typed):
    assert parse_number(typed) == typed
    session = blank_session()
    kpi = session.add_kpi("5.2.4")
    year = session.add_year(kpi)
    session.set_kpi_value(kpi, ("values",), year, typed)
    session.set(("results", kpi, "target"), parse_number(typed))
    found = codes(session.problems)
    assert (f"results/{kpi + 1}/values/{year}", "not_number") in found
    assert (f"results/{kpi + 1}/target", "not_number") in found
    assert session.paste_row(kpi, ("values",), [year], f"{typed}\t12") == [year - 1, year]
    assert (f"results/{kpi + 1}/values/{year - 1}", "not_number") in codes(session.problems)


def test_full_width_and_ordinary_numbers_still_read():
    assert parse_number("１２３") == 123 and parse_number("1,234.5") == 1234.5 and parse_number("1e3") == 1000
    assert parse_integer("1200") == 1200 and parse_integer("nan") == "nan"


@pytest.mark.parametrize("char", ["\x0b", "\x07"])
def test_a_pasted_control_character_is_kept_and_flagged(char):
    session = blank_session()
    assert session.set(("applicant", "name"), f"长江{char}服务") is None
    assert session.value(("applicant", "name")) == f"长江{char}服务"
    assert ("applicant/name", "control_char") in codes(session.problems)
    assert session.document.name == ""  # left out of what is scored and exported


def test_a_lone_surrogate_from_a_tampered_page_is_refused():
    session = blank_session()
    refused = session.set(("applicant", "name"), "长江\ud800")
    assert refused is not None and refused.code == "lone_surrogate" and "U+D800" in refused.render("en")
    assert session.value(("applicant", "name")) == "长江服务测试有限公司"


def test_a_year_of_thousands_of_digits_is_text_everywhere_the_form_reads_years():
    session = blank_session()
    kpi = session.add_kpi("5.2.4")
    year = session.add_year(kpi)
    session.set_kpi_value(kpi, ("values",), year, "1")
    typed = "9" * 5000
    assert session.set_year(kpi, year, typed) is None
    assert (f"results/{kpi + 1}/values/{typed}", "year") in codes(session.problems)
    assert session.add_year(kpi) == 2025 and session.paste_row(kpi, ("values",), [2025], "1\t2") == [2024, 2025]


def test_a_workbook_is_written_whatever_characters_reach_it(tmp_path):
    """The check names these characters, but the form writes Excel from a partial document: never a refusal."""
    doc, _ = check_partial(sample(), INDEX)
    doc.applicant["name"] = "陈\x0b屹峰"
    doc.rating("1.1").strengths.append(Comment("第一行\x07第二行\ud800"))
    doc.results[0].name = "指标\x00\x1f\x7f"
    card = score(doc, INDEX.load(doc.rubric))
    path = write_workbook(card, tmp_path / "odd.xlsx")
    texts = [str(c) for sheet in openpyxl.load_workbook(path).worksheets
             for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "第一行第二行" in texts and "指标" in texts
    assert not any(UNWRITABLE.search(t) for t in texts)
    write_sheets(tmp_path / "columns.xlsx", {"表": pd.DataFrame({"列\x0b": ["值\ud800"]})})
    assert [c.value for c in openpyxl.load_workbook(tmp_path / "columns.xlsx")["表"]["A"]] == ["列", "值"]


# --- names in the console are text, never Rich markup -------------------------------------------

MARKUP_NAMES = ["[/]", "[/bold]", "[link=https://x]点我[/link]", "[bold red]陈[/]", ":warning:陈"]


@pytest.fixture
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # a table's cells on one line, to be found whole


def named(tmp_path, stem: str, name: str, assessor: str | None = None):
    data = sample()
    data["applicant"]["name"] = name
    data["results"][0]["name"] = f"{name}指标"
    data["clauses"]["1.1"]["narrative"] = ""
    if assessor:
        data["assessment"]["assessors"] = [assessor]
    return write_yaml(tmp_path / f"{stem}.yaml", data)


def shown(text: str, out: str) -> bool:
    return text in out and "\x1b]8;" not in out  # as written, and no terminal hyperlink


@pytest.mark.parametrize("name", MARKUP_NAMES)
def test_names_in_score_compare_and_consensus_are_text(cli, tmp_path, wide, name):
    old, new = named(tmp_path, "old", name, f"{name}甲"), named(tmp_path, "new", name, f"{name}乙")
    code, out, err = cli("score", new)
    assert code == 0, err
    assert shown(f"{name} · ", out)
    code, out, err = cli("compare", old, new)
    assert code == 0, err
    assert shown(f"{name} · ", out) and shown(f"{name}指标", out)
    code, out, err = cli("consensus", old, new)
    assert code == 0, err
    assert shown(f"{name} · ", out) and shown(f"{name}甲", out) and shown(f"{name}乙", out)


@pytest.mark.parametrize("name", MARKUP_NAMES)
def test_names_in_the_store_commands_are_text(cli, tmp_path, wide, name):
    from qkit.web.store import Store

    code, out, err = cli("applicants", "add", "--data", tmp_path, "--name", name, "--rubric", "wuhan-individual")
    assert code == 0 and shown(name, out), err
    code, out, err = cli("members", "add", "--data", tmp_path, "1", "--name", f"{name}成员", "--role", "lead")
    assert code == 0 and shown(f"{name}成员", out), err
    code, out, err = cli("applicants", "list", "--data", tmp_path)
    assert code == 0 and shown(name, out), err
    code, out, err = cli("members", "list", "--data", tmp_path, "1")
    assert code == 0 and shown(f"{name}成员", out), err
    store = Store(tmp_path)
    member = store.member(1, f"{name}成员")
    data = store.latest(1).data
    data["clauses"]["1.1"]["score"] = 85
    store.save(1, data, base=1, note=f"{name}备注", author=member)
    code, out, err = cli("history", "--data", tmp_path, "1")
    assert code == 0, err
    assert shown(f"1 {name}（wuhan-individual）", out) and shown(f"{name}成员", out) and shown(f"{name}备注", out)


# --- the last resort: a bug is a short message, its traceback goes to a log -----------------------


def boom(*_args):
    raise ZeroDivisionError("an unforeseen bug")


def test_an_unexpected_error_is_a_short_message_and_a_logged_traceback(cli, tmp_path, monkeypatch):
    import qkit.cli

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(qkit.cli.documents, "score_command", boom)
    log = tmp_path / "state" / "qkit" / "qkit.log"
    code, out, err = cli("score", SAMPLE)
    assert code == 1 and "Traceback" not in out + err and "ZeroDivisionError" not in err
    assert f"qkit 出现意外错误，未能完成此操作。详细信息已记录在 {log}" in err
    code, out, err = cli("score", SAMPLE, "--lang", "en")
    assert code == 1 and f"qkit hit an unexpected error and could not finish. The details are in {log}" in err
    logged = log.read_text(encoding="utf-8")
    assert logged.count("Traceback (most recent call last)") == 2
    assert "ZeroDivisionError: an unforeseen bug" in logged and f"\nqkit score {SAMPLE} --lang en\n" in logged
    assert logged.startswith("--- 20")  # each entry with its time


def test_an_unexpected_error_without_a_writable_log_is_still_a_message(cli, tmp_path, monkeypatch):
    import qkit.cli

    (tmp_path / "state").write_text("a file where the folder should be", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(qkit.cli.documents, "score_command", boom)
    code, out, err = cli("score", SAMPLE, "--lang", "en")
    assert code == 1 and "Traceback" not in out + err
    assert "qkit hit an unexpected error and could not finish; the details could not be written to" in err


def test_ctrl_c_and_wrong_options_keep_their_exit_codes(cli, monkeypatch, capsys):
    import qkit.cli

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(qkit.cli.documents, "score_command", interrupted)
    code, out, err = cli("score", SAMPLE)
    assert code == 130 and "已中断" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as stopped:
        qkit.cli.main(["score", str(SAMPLE), "--no-such-option"])
    assert stopped.value.code == 2 and "--no-such-option" in capsys.readouterr().err


def test_batch_help_says_what_resume_compares(capsys):
    import qkit.cli
    from qkit.batch import MANIFEST

    with pytest.raises(SystemExit):
        qkit.cli.main(["batch", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "newer than" not in shown
    assert f"OUT/{MANIFEST}" in shown and "SHA-256" in shown and "options and template" in shown


# --- a feedback rule that would backtrack for ever -------------------------------------------------


def slow_rules(tmp_path, pattern: str):
    from qkit.resources import FEEDBACK_RULES

    rules = yaml.safe_load(FEEDBACK_RULES.read_text(encoding="utf-8"))
    rules["prescriptive"].append(pattern)
    return write_yaml(tmp_path / "rules.yaml", rules), len(rules["prescriptive"])


def ofi_document(tmp_path):
    data = sample()
    data["clauses"]["1.1"]["ofis"] = ["a" * 32 + "!", "流程尚未覆盖全部环节" + "a" * 10]  # the first: 33 characters
    return write_yaml(tmp_path / "ofi.yaml", data)


def validate_lint(*args) -> tuple[int, str, float]:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "qkit", "validate", "--lint", *map(str, args)],
                          capture_output=True, text=True, timeout=30)
    return done.returncode, done.stdout + done.stderr, time.monotonic() - start


@pytest.mark.parametrize("pattern", [r"(a|a)*$", r"(a|aa)+$"])
def test_a_rule_that_backtracks_for_ever_is_named_and_stopped(tmp_path, pattern):
    rules, number = slow_rules(tmp_path, pattern)
    code, output, seconds = validate_lint(ofi_document(tmp_path), "--lint-rules", rules, "--lang", "en")
    assert code == 1 and "Traceback" not in output and seconds < 20
    assert f"{rules}: prescriptive/{number}: this rule's regular expression ran over" in output
    assert f"\"{pattern}\"" in output


def test_a_nested_repeat_that_can_run_fast_does(tmp_path):
    rules, _ = slow_rules(tmp_path, r"(a+)+$")
    code, output, seconds = validate_lint(ofi_document(tmp_path), "--lint-rules", rules)
    assert code == 0 and "Traceback" not in output and seconds < 20
    assert "clauses/1.1/ofis/2：[prescriptive] 改进机会带有指令性措辞“aaaaaaaaaa”" in output
    assert "clauses/1.1/ofis/1" not in output


# --- a report on a broken document starts no kernel ------------------------------------------------


@pytest.fixture
def no_kernel(monkeypatch, tmp_path):
    """Fails the test when a report starts a kernel (creates its kernel manager)."""
    import jupyter_client.manager

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # a failure's log stays out of the home folder
    started = []

    def refuse(*args, **kwargs):
        started.append(args)
        raise AssertionError("a kernel was started for a document that does not pass the check")

    monkeypatch.setattr(jupyter_client.manager.AsyncKernelManager, "__init__", refuse)
    return started


@pytest.mark.parametrize("change", [
    lambda d: d["clauses"]["1.1"].update(score=33),
    lambda d: d["clauses"]["1.1"].update(score=math.nan),
    lambda d: d["applicant"].update(name="陈\x0b屹峰"),
    lambda d: d.update(colour="red"),
])
def test_a_broken_document_is_named_before_any_kernel_starts(cli, tmp_path, no_kernel, change):
    data = sample()
    change(data)
    bad = write_yaml(tmp_path / "bad.yaml", data)
    out = tmp_path / "out"
    out.mkdir()
    (out / "bad.html").write_text("an old report", encoding="utf-8")
    code, _, err = cli("report", bad, "-o", out, "--no-pdf")
    assert code == 1 and "Traceback" not in err
    assert "clauses/1.1/score" in err or "applicant/name" in err or "colour" in err
    assert not no_kernel and not list(out.iterdir())  # no kernel, no notebook, no stale report


def test_a_broken_previous_document_is_named_before_any_kernel_starts(cli, tmp_path, no_kernel):
    data = sample()
    data["clauses"]["1.1"]["score"] = math.inf
    previous = write_yaml(tmp_path / "previous.yaml", data)
    code, _, err = cli("report", SAMPLE, "-o", tmp_path / "out", "--no-pdf", "--previous", previous)
    assert code == 1 and "clauses/1.1/score" in err and "Traceback" not in err and not no_kernel


def test_the_forms_excel_export_works_with_a_pasted_control_character():
    session = blank_session()
    session.set(("clauses", "5.2.2", "strengths"), ["领导重视质量\x0b（Word 的换行）", "第二条\x07"])
    session.set(("clauses", "5.2.2", "score"), 60)
    assert ("clauses/5.2.2/strengths/1", "control_char") in codes(session.problems)
    name, content, _ = session.export("excel")
    book = openpyxl.load_workbook(io.BytesIO(content))
    texts = [c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
    assert name.endswith(".xlsx") and not any(isinstance(t, str) and UNWRITABLE.search(t) for t in texts)
