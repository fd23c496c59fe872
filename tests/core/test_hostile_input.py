"""Hostile and broken input: nothing hangs, nothing half-written is trusted, no traceback anywhere."""

from __future__ import annotations

import copy
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from support.chromium import fake_chromium
from support.documents import SAMPLES, write_yaml
from support.mounts import needs_root, tmpfs
from qkit.reading import MAX_BYTES, MAX_DEPTH

SAMPLE = SAMPLES / "wuhan-individual-chen.yaml"  # the smallest sample: its report is the quickest
MEMORY = 1024 * 1024 * 1024  # address space a hostile document may make the CLI use


def qkit(*args, cwd: Path | None = None, timeout: float = 60, memory: int | None = None):
    """Run the installed qkit command; returns (exit code, stdout, stderr, seconds)."""
    limit = (lambda: resource.setrlimit(resource.RLIMIT_AS, (memory, memory))) if memory else None
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "qkit", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limit)
    return done.returncode, done.stdout, done.stderr, time.monotonic() - start


def alias_bomb(levels: int = 9) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghijklmnop"
    for prev, name in zip(names, names[1:levels]):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    lines += ["rubric: hubei-service", f"applicant: {{name: *{names[levels - 1]}}}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("command", ["validate", "score"])
def test_an_alias_bomb_used_as_a_value_is_refused_at_once(tmp_path, command):
    doc = tmp_path / "bomb.yaml"
    doc.write_text(alias_bomb(), encoding="utf-8")
    code, _, err, seconds = qkit(command, doc, memory=MEMORY)
    assert code == 1 and "Traceback" not in err
    assert "YAML 别名" in err and "200,000" in err
    assert seconds < 20


@pytest.mark.parametrize("text", [
    "rubric: hubei-service\napplicant: " + "[" * 500 + "]" * 500,
    "rubric: hubei-service\napplicant: " + "[" * 1000 + "]" * 1000,
    "rubric: hubei-service\napplicant: " + "[" * 100_000 + "]" * 100_000,
    "rubric: hubei-service\napplicant:\n" + "".join("  " * i + "-\n" for i in range(1, 2000)),
    "rubric: hubei-service\napplicant: " + "{a: " * 5000 + "1" + "}" * 5000,
], ids=["flow-500", "flow-1000", "flow-100000", "block-2000", "mappings-5000"])
def test_deep_nesting_is_refused_with_the_line_not_a_recursion_error(tmp_path, text):
    doc = tmp_path / "deep.yaml"
    doc.write_text(text + "\n", encoding="utf-8")
    code, _, err, seconds = qkit("validate", doc, memory=MEMORY)
    assert code == 1 and "Traceback" not in err and "RecursionError" not in err
    assert f"嵌套超过 {MAX_DEPTH} 层" in err
    assert seconds < 20


def test_every_real_document_and_one_ten_times_the_largest_sample_pass_the_limits(tmp_path):
    for sample in SAMPLES.glob("*.yaml"):
        assert qkit("validate", sample)[0] == 0
    import yaml

    largest = max(SAMPLES.glob("*.yaml"), key=lambda p: p.stat().st_size)
    data = yaml.safe_load(largest.read_text(encoding="utf-8"))
    original = write_yaml(tmp_path / "original.yaml", data).stat().st_size  # the content, without comments
    for rating in data["clauses"].values():
        for field in ("strengths", "ofis", "evidence"):
            rating[field] = rating.get(field, []) * 15
        rating["notes"] = rating.get("notes", "说明") * 10
    data["profile"] = {key: text * 10 for key, text in data["profile"].items()}
    data["results"] = [copy.deepcopy(kpi) for _ in range(20) for kpi in data["results"]]  # copies, not aliases
    big = write_yaml(tmp_path / "big.yaml", data)
    assert big.stat().st_size > 10 * original
    code, _, err, _ = qkit("validate", big)
    assert code == 0, err


def test_an_oversized_file_is_refused_unread(tmp_path):
    doc = tmp_path / "huge.yaml"
    with open(doc, "w", encoding="utf-8") as out:
        out.write("rubric: hubei-service\napplicant: {name: x}\n# " + "x" * (MAX_BYTES + 10) + "\n")
    code, _, err, _ = qkit("validate", doc)
    assert code == 1 and "文件过大" in err and "4 MB" in err


def test_a_folder_given_as_the_document_is_named_a_folder(tmp_path):
    code, _, err, _ = qkit("validate", tmp_path)
    assert code == 1 and "这是一个文件夹" in err and "文件不存在" not in err
    code, _, err, _ = qkit("report", tmp_path, "-o", tmp_path / "out", "--no-pdf")
    assert code == 1 and "这是一个文件夹" in err and "Traceback" not in err


# --- folders that cannot be written -------------------------------------------------------

@pytest.mark.slow
@needs_root
def test_report_and_batch_into_a_read_only_folder_say_so_before_any_work(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE, docs / "chen.yaml")
    with tmpfs(tmp_path / "ro", read_only=True) as ro:
        code, _, err, _ = qkit("report", docs / "chen.yaml", "-o", ro, "--no-pdf")
        assert code == 1 and "只读" in err and "Traceback" not in err
        code, out, err, seconds = qkit("batch", docs, "-o", ro, "--no-pdf")
        assert code == 1 and "只读" in err and "Traceback" not in err
        assert seconds < 20  # refused before any report was run


@pytest.mark.slow
@needs_root
def test_a_full_disk_is_named_and_leaves_no_half_written_file(tmp_path):
    with tmpfs(tmp_path / "small", size="64k") as small:
        code, _, err, _ = qkit("report", SAMPLE, "-o", small, "--no-pdf", timeout=300)
        assert code == 1 and "磁盘空间已满" in err and "Traceback" not in err
        leftovers = [p.name for p in small.iterdir() if p.name.startswith(".")]
        assert leftovers == []
        filler = os.open(small / "filler", os.O_WRONLY | os.O_CREAT)  # whatever room is left, taken
        try:
            while os.write(filler, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(filler)
        code, _, err, _ = qkit("new", "--rubric", "hubei-medical", "-o", small / "new.yaml")
        assert code == 1 and "磁盘空间已满" in err and not (small / "new.yaml").exists()
        assert [p.name for p in small.iterdir() if p.name.startswith(".")] == []


def test_new_into_a_missing_folder_or_onto_a_folder_is_a_clear_error(tmp_path):
    code, _, err, _ = qkit("new", "--rubric", "hubei-medical", "-o", tmp_path / "nowhere" / "x.yaml")
    assert code == 1 and "文件不存在" in err and "Traceback" not in err
    (tmp_path / "taken").mkdir()
    code, _, err, _ = qkit("new", "--rubric", "hubei-medical", "-o", tmp_path / "taken", "--force")
    assert code == 1 and "文件夹" in err and "Traceback" not in err


# --- the store --------------------------------------------------------------------------


def test_an_empty_database_file_is_not_taken_for_a_new_store(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "qkit.sqlite3").write_bytes(b"")
    code, _, err, _ = qkit("applicants", "list", "--data", data)
    assert code == 1 and "数据库文件为空" in err and "备份" in err
    assert (data / "qkit.sqlite3").stat().st_size == 0  # left as it was, for recovery


@needs_root
def test_a_read_only_data_folder_can_be_listed_and_exported_not_changed(tmp_path):
    data = tmp_path / "data"
    assert qkit("applicants", "add", "--name", "只读单位", "--rubric", "hubei-service", "--data", data)[0] == 0
    with tmpfs(tmp_path / "ro", read_only=True, fill_from=data) as ro:
        code, out, err, _ = qkit("applicants", "list", "--data", ro)
        assert code == 0 and "只读单位" in out, err
        code, out, err, _ = qkit("history", "1", "--data", ro)
        assert code == 0 and "1" in out, err
        code, _, err, _ = qkit("export", "-o", tmp_path / "exported", "--data", ro)
        assert code == 0 and list((tmp_path / "exported").glob("001-*.yaml")), err
        code, _, err, _ = qkit("applicants", "relink", "1", "--data", ro)
        assert code == 1 and "数据目录只读" in err and "Traceback" not in err
    with tmpfs(tmp_path / "empty-ro", read_only=True) as ro:
        code, _, err, _ = qkit("applicants", "list", "--data", ro)
        assert code == 1 and "只读" in err and "Traceback" not in err


# --- resume trusts a manifest, not time stamps -------------------------------------------------


@pytest.mark.slow
def test_resume_reruns_a_report_killed_half_way(tmp_path):
    """Killed while printing the PDF, after the HTML and Excel files were written: resume makes it again."""
    docs, out, bin_dir = tmp_path / "docs", tmp_path / "out", tmp_path / "bin"
    docs.mkdir()
    bin_dir.mkdir()
    shutil.copy(SAMPLE, docs / "chen.yaml")
    fake_chromium(bin_dir)
    marker = tmp_path / "printing"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "QKIT_TEST_MARKER": str(marker)}
    batch = [sys.executable, "-m", "qkit", "batch", str(docs), "-o", str(out), "--jobs", "1"]
    proc = subprocess.Popen(batch, env={**env, "QKIT_TEST_SLOW": "1"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the batch ended before printing the PDF"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (out / "chen.html").stat().st_mtime > (docs / "chen.yaml").stat().st_mtime  # what fooled time stamps

    done = subprocess.run([*batch, "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "完成 1 份" in done.stdout and "跳过 0 份" in done.stdout
    assert (out / "chen.pdf").read_bytes().startswith(b"%PDF")
    assert openpyxl.load_workbook(out / "chen.xlsx").sheetnames

    done = subprocess.run([*batch, "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "跳过 1 份" in done.stdout
    (out / "chen.xlsx").write_bytes(b"")  # damaged after it was made: no longer current
    done = subprocess.run([*batch, "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "完成 1 份" in done.stdout
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.name != ".qkit-batch.json"]


# --- uploads to the KPI import -----------------------------------------------------------------


def test_a_20_mb_csv_is_refused_at_once_and_named():
    from qkit.web.kpi_import import MAX_UPLOAD, read_kpis
    from qkit.errors import QkitError

    row = "5.2.4,营业收入,亿元,越高越好,,41.5,45.0,48.9\n"
    content = ("条款,指标,单位,方向,数据系列,2023,2024,2025\n" + row * (20 * 1024 * 1024 // len(row.encode()))).encode()
    assert len(content) > 19 * 1024 * 1024 > MAX_UPLOAD
    start = time.monotonic()
    with pytest.raises(QkitError) as caught:
        read_kpis("大表.csv", content)
    assert time.monotonic() - start < 1
    assert "文件过大" in caught.value.render("zh") and "大表.csv" in caught.value.render("zh")


def test_a_long_table_under_the_size_limit_is_refused_by_rows():
    from qkit.web.kpi_import import MAX_ROWS, read_kpis
    from qkit.errors import QkitError

    content = ("条款,指标,2025\n" + "5.2.4,x,1\n" * (MAX_ROWS + 1)).encode()
    with pytest.raises(QkitError) as caught:
        read_kpis("长表.csv", content)
    assert "行" in caught.value.render("zh")
    assert read_kpis("短表.csv", ("条款,指标,2025\n" + "5.2.4,x,1\n" * 100).encode())[0]["values"] == {2025: 1}


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked():
    import io
    import zipfile

    from qkit.errors import QkitError
    from qkit.web.kpi_import import read_kpis

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<x>" + b" " * (200 * 1024 * 1024) + b"</x>")
    content = buffer.getvalue()
    assert len(content) < 1024 * 1024  # small to upload, 200 MB unpacked
    start = time.monotonic()
    with pytest.raises(QkitError) as caught:
        read_kpis("炸弹.xlsx", content)
    assert time.monotonic() - start < 2 and "文件过大" in caught.value.render("zh")
