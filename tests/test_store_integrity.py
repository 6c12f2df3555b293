"""The store's integrity under a killed process and under two processes recording at once.

Real results (the example study's sections) are recorded by subprocesses;
one is killed with SIGKILL at several points of its recording transaction,
and the store must hold all of that run or none of it. Against SQLite and
PostgreSQL (the ``db_url`` fixture of ``test_store.py``).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pdstudy.store import open_store, verify
from pdstudy.store.models import Analysis, AuditEntry, Experiment, Result, Study
from test_store import db_url  # noqa: F401 - the fixture (SQLite and PostgreSQL)

SRC = Path(__file__).resolve().parents[1] / "src"

RECORDER = textwrap.dedent(
    """
    import os, pickle, signal, sys, time
    from pathlib import Path
    from sqlalchemy import event
    from pdstudy.store import open_store, record_results

    url, items_path, point, study, barrier = sys.argv[1:6]
    items = pickle.loads(Path(items_path).read_bytes())
    if study.startswith("run "):  # a re-analysis: a new parameter, so every section is new
        items = [(k, n, r, {**p, "run": study}) for k, n, r, p in items]
    store = open_store(url)
    count = 0
    if point == "commit":
        @event.listens_for(store.engine, "commit")
        def _commit(conn):
            os.kill(os.getpid(), signal.SIGKILL)
    elif point not in ("never", "count"):
        @event.listens_for(store.engine, "before_cursor_execute")
        def _statement(conn, cursor, statement, parameters, context, executemany):
            global count
            count += 1
            if count == int(point):
                os.kill(os.getpid(), signal.SIGKILL)
    elif point == "count":
        @event.listens_for(store.engine, "before_cursor_execute")
        def _statement(conn, cursor, statement, parameters, context, executemany):
            global count
            count += 1
    if barrier != "-":
        while not Path(barrier).exists():
            time.sleep(0.01)
    summary = record_results(store, study, items)
    print("statements", count, "new", summary.new, flush=True)
    """
)


@pytest.fixture(scope="module")
def items_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sections of the example study, analysed once, as ``record_results`` items."""
    from pdstudy.examples import write_example_study
    from pdstudy.study import run_study

    root = tmp_path_factory.mktemp("example")
    study = write_example_study(root / "study", seed=7, videos=False)
    run = run_study(study, root / "out", workers=1, store=False)
    # the six in vitro sections (the counts below are written for them)
    in_vitro = ("binding", "saturation", "uptake", "protein")
    items = [
        (o.key, o.name, o.result, o.parameters) for o in run.outcomes if o.ok and o.kind in in_vitro
    ]
    assert len(items) == 6
    path = root / "items.pkl"
    path.write_bytes(pickle.dumps(items))
    return path


def _recorder(url: str, items: Path, point: str, study: str, barrier: str = "-"):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, "-c", RECORDER, url, str(items), point, study, barrier],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _counts(url: str) -> dict[str, int]:
    with open_store(url) as s, s.session() as session:
        return {
            m.__tablename__: session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Study, Experiment, Analysis, Result, AuditEntry)
        }


def _kill_at(url: str, items: Path, points: list[str]) -> None:
    """Record a re-analysis of every section, killed at each of ``points``; nothing may land."""
    open_store(url).close()  # the schema exists before the recorders start
    proc = _recorder(url, items, "never", "run 0")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    before = _counts(url)
    assert before["analyses"] == 6 and before["results"] > 6
    proc = _recorder(url, items, "count", "run 1")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    n = int(out.split()[1])
    full = _counts(url)
    assert full["analyses"] == 12 and full["studies"] == 2  # a whole run: 6 re-analyses
    for point in points:
        at = {"quarter": n // 4, "half": n // 2, "last": n}.get(point, point)
        proc = _recorder(url, items, str(at), f"run killed at {point}")
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == -signal.SIGKILL, (point, out, err)
        assert _counts(url) == full, f"killed at statement {at} of {n}: part of the run landed"
        with open_store(url) as s:
            assert verify(s)[1] == []
    # the store is usable after the kills: the next run lands whole
    proc = _recorder(url, items, "never", "run 2")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    after = _counts(url)
    assert after["analyses"] == 18 and after["studies"] == 3
    # 6 analyses, 1 study and the example's one declared exclusion (a decision of its analysis)
    assert after["audit_log"] == full["audit_log"] + 8
    with open_store(url) as s:
        assert verify(s)[1] == []


def test_a_recording_killed_halfway_leaves_none_of_it(items_file: Path, tmp_path: Path) -> None:
    _kill_at(f"sqlite:///{tmp_path / 'store.db'}", items_file, ["half", "commit"])


@pytest.mark.slow
def test_a_recording_killed_anywhere_leaves_all_of_it_or_none(
    db_url: str,  # noqa: F811
    items_file: Path,
) -> None:
    _kill_at(db_url, items_file, ["1", "2", "quarter", "half", "last", "commit"])


@pytest.mark.parametrize(
    "split",
    [
        pytest.param(False, id="same-sections"),
        pytest.param(True, id="different-sections", marks=pytest.mark.slow),
    ],
)
def test_two_processes_recording_at_once_both_land(
    db_url: str,  # noqa: F811
    items_file: Path,
    tmp_path: Path,
    split: bool,
) -> None:
    open_store(db_url).close()
    items = pickle.loads(items_file.read_bytes())
    files = []
    for i, part in enumerate([items[:3], items[3:]] if split else [items, items]):
        f = tmp_path / f"part{i}.pkl"
        f.write_bytes(pickle.dumps(part))
        files.append(f)
    barrier = tmp_path / "go"
    procs = [_recorder(db_url, f, "never", f"lab {i}", str(barrier)) for i, f in enumerate(files)]
    barrier.touch()
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    news = sorted(int(out.split()[3]) for out, _ in outs)
    counts = _counts(db_url)
    assert counts["studies"] == 2
    assert counts["analyses"] == 6 and counts["experiments"] == 6
    assert news == ([3, 3] if split else [0, 6])
    with open_store(db_url) as s:
        n, problems = verify(s)
    assert problems == []
    # 2 studies, 6 experiments, 6 analyses, and the example's declared exclusion of the one
    # NET binding analysis (recorded once: both processes record the same analysis)
    assert n == counts["audit_log"] == 2 + 12 + 1
