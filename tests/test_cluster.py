"""A study run on a dask.distributed cluster (a LocalCluster on loopback, 2 worker processes).

The same tables as a local run; a corrupt file fails only its section; a worker
that sees a different file fails its task with a message saying so; a worker
killed mid-run leaves a complete, correct study.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed", reason="needs the cluster extra: pdstudy[cluster]")

from pdstudy.errors import UsageError  # noqa: E402
from pdstudy.examples import write_example_study  # noqa: E402
from pdstudy.study import load_study, run_study  # noqa: E402
from pdstudy.study.cluster import connect, run_sections_on_cluster  # noqa: E402
from pdstudy.study.model import RunContext  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as c:
        yield c


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return write_example_study(tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="module")
def local_run(example, tmp_path_factory):
    return run_study(load_study(example), tmp_path_factory.mktemp("local"), workers=1)


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {p.name: pd.read_csv(p) for p in sorted((out / "results").glob("*.csv"))}


def _same_tables(a: Path, b: Path) -> None:
    ta, tb = _tables(a), _tables(b)
    assert ta.keys() == tb.keys()
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], obj=name)


@pytest.mark.slow
def test_the_study_on_the_cluster_equals_the_local_run(cluster, example, local_run, tmp_path):
    import json

    run = run_study(load_study(example), tmp_path, scheduler=cluster.scheduler_address)
    assert run.exit_code == 0, [o.section.error for o in run.failed]
    _same_tables(local_run.out_dir, run.out_dir)
    prov = json.loads(run.provenance_path.read_text(encoding="utf-8"))
    assert prov["execution"]["mode"] == "dask.distributed"
    assert prov["execution"]["scheduler"] == cluster.scheduler_address
    assert len(prov["execution"]["workers"]) == 2
    # the report's provenance names the scheduler and each worker
    import html

    page = html.unescape(run.report_path.read_text(encoding="utf-8"))
    facts = page.split('id="provenance"')[1].split("every parameter used")[0]  # not the JSON
    assert f"scheduler {cluster.scheduler_address}; 2 worker(s)" in facts
    assert all(w in facts for w in prov["execution"]["workers"])


@pytest.mark.slow
def test_a_worker_killed_mid_run_leaves_a_complete_study(cluster, example, local_run, tmp_path):
    client = distributed.Client(cluster, set_as_default=False)
    try:
        pids = list(client.run(os.getpid).values())
        done: dict[str, object] = {}

        def work() -> None:
            done["run"] = run_study(load_study(example), tmp_path, scheduler=client)

        t = threading.Thread(target=work)
        t.start()
        time.sleep(1.0)  # the sections are running (each takes about a second)
        os.kill(pids[0], signal.SIGKILL)
        t.join(timeout=300)
        assert not t.is_alive()
        run = done["run"]
        assert run.exit_code == 0, [o.section.error for o in run.failed]  # type: ignore[attr-defined]
        _same_tables(local_run.out_dir, tmp_path)
        client.wait_for_workers(2, timeout=180)  # the nanny restarted the killed worker
    finally:
        client.close()


def test_a_corrupt_file_fails_only_its_section(cluster, example, tmp_path):
    study = tmp_path / "study"
    shutil.copytree(example.parent, study)
    spec = load_study(study / example.name)
    victim = spec.sections[0]
    plate = victim.values["plates"][0]
    plate.write_text("this is not a plate file\n", encoding="utf-8")
    run = run_study(spec, tmp_path / "out", scheduler=cluster.scheduler_address)
    failed = {o.key for o in run.failed}
    assert failed == {victim.key}
    assert plate.name in str(run.outcomes[0].section.error)
    assert all(o.ok for o in run.outcomes if o.key != victim.key)


def test_a_worker_that_sees_another_file_fails_its_task(cluster, example, tmp_path):
    spec = load_study(example)
    section = spec.sections[0]
    wrong = {str(Path(p).resolve()): "0" * 64 for _, p in section.files()}
    client, _ = connect(cluster.scheduler_address)
    try:
        ctx = RunContext(out_dir=tmp_path, study_dir=spec.folder, compound="x")
        (outcome,), _ = run_sections_on_cluster(
            client, [section], ctx, expected={section.key: wrong}
        )
    finally:
        client.close()
    assert not outcome.ok
    assert "sees a different" in str(outcome.section.error)
    assert "shared file system" in str(outcome.section.error)


def test_an_unreachable_scheduler_is_a_usage_error():
    with pytest.raises(UsageError, match="cannot reach the dask scheduler"):
        connect("tcp://127.0.0.1:9", timeout_s=1.0)


def test_ctrl_c_during_a_study_cancels_its_section_tasks(cluster, example, tmp_path):
    spec = load_study(example)
    plates = [s for s in spec.sections if s.kind in ("binding", "saturation", "uptake")]
    ctx = RunContext(out_dir=tmp_path, study_dir=spec.folder, compound="x")
    for d in ("results", "figures"):
        (tmp_path / d).mkdir()

    def interrupt() -> None:  # Ctrl-C while the section tasks are out on the cluster
        raise KeyboardInterrupt

    client, _ = connect(cluster.scheduler_address)
    try:
        with pytest.raises(KeyboardInterrupt) as info:
            run_sections_on_cluster(client, plates, ctx, meanwhile=interrupt)
        message = str(info.value)
        assert message.startswith("interrupted: ") and "task(s) cancelled" in message
        assert message.endswith(f"on the dask cluster at {cluster.scheduler_address}")
        assert 1 <= int(message.split()[1]) <= len(plates)

        def mine(dask_scheduler) -> list[str]:
            return [str(k) for k in dask_scheduler.tasks if str(k).endswith(f"-{id(ctx)}")]

        deadline = time.monotonic() + 30
        while client.run_on_scheduler(mine) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.run_on_scheduler(mine) == []  # none left queued or running
    finally:
        client.close()


def test_pdstudy_run_on_ctrl_c_prints_what_was_cancelled_and_exits_130(
    example, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    import pdstudy.study as study
    from pdstudy.cli import app

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt("interrupted: 5 task(s) cancelled on the dask cluster at tcp://h:1")

    monkeypatch.setattr(study, "run_study", interrupted)
    res = CliRunner().invoke(app, ["run", str(example), "--out", str(tmp_path), "--no-store"])
    assert res.exit_code == 130, res.output
    assert "interrupted: 5 task(s) cancelled on the dask cluster at tcp://h:1" in res.output
    assert "Traceback" not in res.output
