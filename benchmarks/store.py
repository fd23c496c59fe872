"""The store under months of autosaves and a team typing at once: what a save, a history and a rebuild cost.

A real application: a shipped sample with about 1,700 字 of narrative in every
clause (some 125 KB as the store keeps it). One person saves it again and
again, one paragraph changed each time; then 20 simulated typists save every
2 s, each to a clause of their own, first all on one applicant, then each on
an applicant of their own. Printed:

- storage per revision, as a share of the document (target: at most 15 %);
- save latency, median and p95, alone (target: 60 ms) and with 20 typists
  (target: p95 at most 250 ms);
- listing the history at 200 and at 5,000 revisions (target: 0.5 s for 5,000);
- rebuilding the oldest revision.

The baseline, measured in the same run on the same backend: writing the
document whole as one row (JSON, one INSERT, one commit), the least any save
of a whole document costs. Each save is printed as a ratio to it.

    .venv/bin/python benchmarks/store.py [--backend sqlite|postgresql|both] [--saves 200] [--history 5000]
        [--typists 20] [--seconds 20]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from qkit import load_rubric  # noqa: E402
from qkit.web.session import Session  # noqa: E402
from qkit.web.store import TABLES, Store  # noqa: E402

SAMPLE = ROOT / "parameterized" / "applicants" / "hubei-manufacturing-huake.yaml"
PARAGRAPH = ("公司建立了覆盖战略、运营和支持过程的管理体系，定期开展绩效评审并将结果用于改进。"
             "各部门按季度报告关键指标，管理层据此调整资源配置，确保目标达成。") * 3


def application() -> dict:
    """The sample with about 1,700 字 of narrative in every clause."""
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    for rating in data["clauses"].values():
        rating["narrative"] = "\n\n".join(f"{i + 1}. {PARAGRAPH}" for i in range(7))
    return data


def size_of(store: Store) -> int:
    """Bytes of the revisions' stored text (whole documents and changes), as UTF-8."""
    octets = "LENGTH(CAST({} AS BLOB))" if store.path is not None else "octet_length({})"
    columns = [column for column in ("document", "delta") if column in TABLES["revision"]]
    total = " + ".join(f"COALESCE({octets.format(c)}, 0)" for c in columns)
    with store._connect() as db:
        return db.execute(f"SELECT SUM({total}) FROM revision").fetchone()[0]


def quantiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def baseline(store: Store, data: dict, n: int = 50) -> float:
    """Seconds to write the whole document as one row and commit: the floor of a full-copy save."""
    with store._connect() as db:
        db.execute("CREATE TABLE IF NOT EXISTS bench_row (id INTEGER, document TEXT)")
    times = []
    for i in range(n):
        start = time.perf_counter()
        text = json.dumps(data, ensure_ascii=False, default=str)
        with store._connect() as db, store._write(db):
            db.execute("INSERT INTO bench_row (id, document) VALUES (?, ?)", (i, text))
        times.append(time.perf_counter() - start)
    with store._connect() as db:
        db.execute("DROP TABLE bench_row")
    return statistics.median(times)


def one_person(store: Store, saves: int) -> dict:
    """One person saving ``saves`` times, one paragraph changed each time, as the web form saves."""
    rubric = load_rubric("hubei-manufacturing")
    applicant, _ = store.add_applicant("基准单位", rubric.id)
    first = store.save(applicant.id, application(), base=1)
    session = Session(rubric, first.data, store=store, applicant_id=applicant.id, base=first.number,
                      autosave_delay=None)
    clauses = list(first.data["clauses"])
    before = size_of(store)
    times = []
    for i in range(saves):
        cid = clauses[i % len(clauses)]
        text = session.value(("clauses", cid, "narrative"))
        session.set(("clauses", cid, "narrative"), text.replace(PARAGRAPH, f"第 {i} 次修改：{PARAGRAPH}", 1))
        start = time.perf_counter()
        assert session.save()
        times.append(time.perf_counter() - start)
    document = len(json.dumps(session.data, ensure_ascii=False, default=str).encode())
    return {"applicant": applicant.id, "times": times, "per_revision": (size_of(store) - before) / saves,
            "document": document}


def typists(store: Store, n: int, seconds: float, applicants: list[int]) -> list[float]:
    """``n`` people each saving every 2 s to a clause of their own, on the applicants given (one each, or all on
    one), for ``seconds``; the latency of every save."""
    rubric = load_rubric("hubei-manufacturing")
    times: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def type_on(k: int) -> None:
        own = Store(store.location)  # each page's kernel has a store of its own
        applicant = applicants[k % len(applicants)]
        latest = own.latest(applicant)
        session = Session(rubric, latest.data, store=own, applicant_id=applicant, base=latest.number,
                          autosave_delay=None)
        cid = list(latest.data["clauses"])[k % len(latest.data["clauses"])]
        i = 0
        while time.monotonic() < stop:
            i += 1
            session.set(("clauses", cid, "notes"), f"打字者 {k} 第 {i} 次")
            start = time.perf_counter()
            session.save()
            took = time.perf_counter() - start
            with lock:
                times.append(took)
            time.sleep(max(0.0, 2.0 - took))

    threads = [threading.Thread(target=type_on, args=(k,)) for k in range(n)]
    for thread in threads:
        thread.start()
        time.sleep(2.0 / n)  # they do not all start typing in the same instant
    for thread in threads:
        thread.join()
    return times


def idle(store: Store, applicant: int, looks: int = 200) -> float:
    """CPU seconds an open page spends on one look for others' saves when nobody saved (every 3 s)."""
    latest = store.latest(applicant)
    session = Session(load_rubric("hubei-manufacturing"), latest.data, store=Store(store.location),
                      applicant_id=applicant, base=latest.number, autosave_delay=None)
    session.refresh()  # the first look after opening finds what it must
    start = time.process_time()
    for _ in range(looks):
        assert not session.refresh()
    return (time.process_time() - start) / looks


def history(store: Store, applicant: int, count: int) -> float:
    """Seconds to list an applicant's history once it has ``count`` revisions (filled by saves)."""
    latest = store.latest(applicant)
    data, base = copy.deepcopy(latest.data), latest.number
    cid = next(iter(data["clauses"]))
    while base < count:
        data["clauses"][cid]["notes"] = f"第 {base} 版"
        base = store.save(applicant, data, base=base).number
    start = time.perf_counter()
    store.history(applicant)
    return time.perf_counter() - start


def run(store: Store, args) -> None:
    floor = baseline(store, application())
    print(f"  baseline: one whole-document row written and committed: {floor * 1000:.1f} ms")
    alone = one_person(store, args.saves)
    median, p95 = quantiles(alone["times"])
    print(f"  one person, {args.saves} saves of a {alone['document'] / 1024:.0f} KB application, one paragraph each:")
    print(f"    stored per revision {alone['per_revision'] / 1024:.1f} KB = "
          f"{100 * alone['per_revision'] / alone['document']:.0f} % of the document (target ≤ 15 %)")
    print(f"    save: median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (target ≤ 60 ms); "
          f"{median / floor:.1f} × the baseline")
    for label, applicants in (("one applicant", [alone["applicant"]]),
                              (f"{args.typists} applicants", [alone["applicant"]] + [
                                  store.save(a.id, application(), base=1).applicant_id
                                  for a in (store.add_applicant(f"基准单位{k}", "hubei-manufacturing")[0]
                                            for k in range(1, args.typists))])):
        times = typists(store, args.typists, args.seconds, applicants)
        median, p95 = quantiles(times)
        print(f"  {args.typists} typists saving every 2 s, {label}: {len(times)} saves, median {median * 1000:.0f} ms,"
              f" p95 {p95 * 1000:.0f} ms (target p95 ≤ 250 ms)")
    look = idle(store, alone["applicant"])
    print(f"  an idle open page: {look * 1000:.2f} ms of CPU every 3 s = {100 * look / 3:.3f} % of a core (target ≤ 1 %)")
    for count in (200, args.history):
        took = history(store, alone["applicant"], count)
        print(f"  history of {count} revisions listed in {took:.2f} s" + (" (target ≤ 0.5 s)" if count > 200 else ""))
    start = time.perf_counter()
    store.revision(alone["applicant"], 1)
    print(f"  the oldest revision rebuilt in {(time.perf_counter() - start) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--history", type=int, default=5000)
    parser.add_argument("--typists", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            print("SQLite")
            run(Store(Path(tmp) / "data"), args)
        if args.backend in ("postgresql", "both"):
            from support.postgres import PostgresServer, postgres_bin

            if postgres_bin() is None:
                sys.exit("PostgreSQL's programs are not installed (scripts/setup installs them as root)")
            root = Path(tempfile.mkdtemp(prefix="qkit-pg-"))  # short: a Unix socket's path has at most 107 bytes
            server = PostgresServer(root, postgres_bin())
            server.start()
            try:
                print("PostgreSQL")
                run(Store(server.new_database()), args)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
