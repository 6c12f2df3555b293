"""Per-file tasks on a dask.distributed cluster (a LocalCluster on loopback, 2 worker processes).

Inside a section, each video and each batch of chromatograms is a task
(:class:`pdstudy.study.cluster.ClusterMapper`): the tables equal a local run's;
a corrupt video fails only its own rows; a worker that sees another file fails
the task with a message naming it; ``behavior score`` and ``dialysis analyze``
with ``--scheduler`` write what the local commands write.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

distributed = pytest.importorskip("distributed", reason="needs the cluster extra: pdstudy[cluster]")

from pdstudy.assays.behavior.sections import analyse_tst  # noqa: E402
from pdstudy.assays.microdialysis.sections import analyse_microdialysis  # noqa: E402
from pdstudy.cli import app  # noqa: E402
from pdstudy.errors import InputFileError, PdStudyError  # noqa: E402
from pdstudy.simulate.chromatograms import DialysisDesign, simulate_dialysis_experiment  # noqa: E402
from pdstudy.simulate.videos import BehaviorModel, simulate_behavior_video  # noqa: E402
from pdstudy.study import run_study, section_spec  # noqa: E402
from pdstudy.study.cluster import ClusterMapper, input_paths, run_sections_on_cluster  # noqa: E402
from pdstudy.study.model import RunContext  # noqa: E402

runner = CliRunner()

N_VIDEOS = 4


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
def client(cluster):
    with distributed.Client(cluster, set_as_default=False) as c:
        yield c


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Short TST videos (one animal each, two groups), an animals file, a microdialysis batch."""
    folder = tmp_path_factory.mktemp("files")
    rows = []
    for k in range(N_VIDEOS):
        group, frac = ("vehicle", 0.7) if k % 2 == 0 else ("drug", 0.3)
        simulate_behavior_video(
            folder / f"tst{k + 1}.mp4",
            test="tst",
            duration_s=12,
            seed=40 + k,
            models=BehaviorModel(immobile_fraction=frac, ramp_s=4),
        )
        rows.append((f"tst{k + 1}.mp4", f"a{k + 1}", group))
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 8)
    rows.append(("broken.mp4", "a9", "drug"))
    pd.DataFrame(rows, columns=["video", "animal", "group"]).to_csv(
        folder / "animals.csv", index=False
    )
    simulate_dialysis_experiment(
        folder / "dialysis",
        design=DialysisDesign(animals_per_group=2, pre_samples=3, post_samples=4),
        seed=3,
    )
    return folder


def _videos(folder: Path, broken: bool = False) -> list[Path]:
    names = [f"tst{k + 1}.mp4" for k in range(N_VIDEOS)] + (["broken.mp4"] if broken else [])
    return [folder / n for n in names]


def _tst_values(folder: Path, broken: bool = False) -> dict[str, Any]:
    values = {
        "videos": _videos(folder, broken),
        "animals": folder / "animals.csv",
        "window_end": 12.0,
    }
    return dict(section_spec("tst", values, name="tst").values)


def _dialysis_values(folder: Path) -> dict[str, Any]:
    d = folder / "dialysis"
    values = {"sequence": d / "sequence.csv", "method": d / "method.toml"}
    return dict(section_spec("microdialysis", values, name="md").values)


def _same_tables(a: Any, b: Any) -> None:
    ta, tb = a.tables, b.tables
    assert list(ta) == list(tb)
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], obj=name)


def _ran_on_workers(client: Any, run: Any) -> tuple[Any, set[str]]:
    """``run()`` and the workers its tasks ran on (the scheduler's task stream)."""
    with distributed.get_task_stream(client) as stream:
        out = run()
    return out, {t["worker"] for t in stream.data if str(t["key"]).startswith("pdstudy-")}


@pytest.fixture(scope="module")
def tst_runs(client, files) -> dict[str, Any]:
    """A TST section with a corrupt video, analysed here and with one task per video."""
    values = _tst_values(files, broken=True)
    counts: list[tuple[int, int]] = []
    mapper = ClusterMapper(client, on_task=lambda done, n: counts.append((done, n)))
    remote, workers = _ran_on_workers(client, lambda: analyse_tst(values, map=mapper))
    return {"local": analyse_tst(values), "remote": remote, "counts": counts, "workers": workers}


def test_each_video_is_a_task_and_the_tables_equal_the_local_ones(client, tst_runs):
    _same_tables(tst_runs["local"], tst_runs["remote"])
    n = N_VIDEOS + 1
    assert tst_runs["counts"][-1] == (n, n) and len(tst_runs["counts"]) == n  # a task per video
    assert tst_runs["workers"] and tst_runs["workers"] <= set(client.scheduler_info()["workers"])


def test_a_corrupt_video_fails_only_its_own_rows(tst_runs):
    animals = tst_runs["remote"].animals
    bad = animals[animals["video"] == "broken.mp4"]
    assert list(bad["status"]) == ["failed"]
    assert "broken.mp4" in bad["reason"].iloc[0]
    good = animals[animals["video"] != "broken.mp4"]
    assert len(good) == N_VIDEOS and good["status"].eq("ok").all()
    assert tst_runs["remote"].motion["video"].nunique() == N_VIDEOS


def test_each_chromatogram_batch_is_a_task_and_the_tables_equal_the_local_ones(client, files):
    from pdstudy.assays.microdialysis.analysis import injections_per_task

    values = _dialysis_values(files)
    local = analyse_microdialysis(values)
    counts: list[tuple[int, int]] = []
    mapper = ClusterMapper(client, on_task=lambda done, n: counts.append((done, n)))
    remote = analyse_microdialysis(values, map=mapper)
    _same_tables(local, remote)
    assert local.traces.keys() == remote.traces.keys()
    for name, (_t, y, base) in local.traces.items():
        assert (remote.traces[name][1] == y).all() and (remote.traces[name][2] == base).all()
    n_inj = len(pd.read_csv(files / "dialysis" / "sequence.csv"))
    assert counts[-1][1] == -(-n_inj // injections_per_task(n_inj)) > 1


def test_a_video_the_worker_sees_differently_fails_the_section_naming_it(client, files, tmp_path):
    section = section_spec("tst", _tst_values(files), name="tst")
    victim = str(_videos(files)[1].resolve())
    ctx = RunContext(out_dir=tmp_path, study_dir=files, compound="x")
    for d in ("results", "figures"):
        (tmp_path / d).mkdir()
    (outcome,), _ = run_sections_on_cluster(
        client, [section], ctx, expected={section.key: {victim: "0" * 64}}
    )
    assert not outcome.ok
    message = str(outcome.section.error)
    assert "sees a different" in message and victim in message
    assert "shared file system" in message


def test_a_chromatogram_the_worker_sees_differently_is_a_clear_error(client, files):
    values = _dialysis_values(files)
    chromatogram = next((files / "dialysis" / "chromatograms").iterdir()).resolve()
    mapper = ClusterMapper(client, known={str(chromatogram): "f" * 64})
    with pytest.raises(InputFileError, match=f"sees a different {chromatogram}"):
        analyse_microdialysis(values, map=mapper)


def test_the_mapper_keeps_item_order_and_raises_what_a_task_raised(client, files):
    mapper = ClusterMapper(client)
    assert mapper(abs, [-3, 2, -1, 0]) == [3, 2, 1, 0]
    assert mapper(abs, []) == []
    with pytest.raises(TypeError, match="bad operand"):
        mapper(abs, [1, "x", 2])
    item = (files / "animals.csv", str(files / "tst1.mp4"), [files / "tst2.mp4", files])
    assert input_paths(item) == [(files / "animals.csv").resolve(), (files / "tst2.mp4").resolve()]


def _kill_after_first_task(client: Any, killed: list[int]) -> threading.Thread:
    """A thread that SIGKILLs one worker once a per-file task runs on it (its pid in ``killed``)."""
    pids = client.run(os.getpid)

    def kill() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            processing = client.processing()
            busy = [w for w, keys in processing.items() if any("pdstudy-" in k for k in keys)]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(pids[busy[0]])
                return
            time.sleep(0.05)

    t = threading.Thread(target=kill)
    t.start()
    return t


@pytest.mark.slow
def test_a_worker_killed_while_it_scores_a_video_leaves_the_same_tables(cluster, files):
    values = _tst_values(files)
    local = analyse_tst(values)
    with distributed.Client(cluster, set_as_default=False) as client:
        killed: list[int] = []
        killer = _kill_after_first_task(client, killed)
        remote = analyse_tst(values, map=ClusterMapper(client))
        killer.join()
        assert killed, "no worker was killed while it scored a video"
        _same_tables(local, remote)
        client.wait_for_workers(2, timeout=180)  # the nanny restarted the killed worker


@pytest.mark.slow
def test_a_study_with_per_file_sections_on_the_cluster_equals_the_local_run(
    cluster, files, tmp_path
):
    videos = ", ".join(f'"{p.as_posix()}"' for p in _videos(files))
    d = (files / "dialysis").as_posix()
    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "per-file"\ncompound = "norclomipramine"\n\n'
        '[study.exposure]\nfree_conc = "0.3 nM"\n\n'
        f'[[tst]]\nname = "tst"\nvideos = [{videos}]\n'
        f'animals = "{(files / "animals.csv").as_posix()}"\nwindow_end = "12 s"\n\n'
        f'[[microdialysis]]\nname = "md"\nsequence = "{d}/sequence.csv"\n'
        f'method = "{d}/method.toml"\n',
        encoding="utf-8",
    )
    local = run_study(study, tmp_path / "local", workers=1, store=False)
    tasks: list[tuple[int, int]] = []
    remote = run_study(
        study,
        tmp_path / "remote",
        scheduler=cluster.scheduler_address,
        store=False,
        on_task=lambda done, n: tasks.append((done, n)),
    )
    assert local.exit_code == remote.exit_code == 0, [o.section.error for o in remote.failed]
    names = sorted(p.name for p in (tmp_path / "local" / "results").glob("*.csv"))
    assert names == sorted(p.name for p in (tmp_path / "remote" / "results").glob("*.csv"))
    for name in names:
        a = pd.read_csv(tmp_path / "local" / "results" / name)
        b = pd.read_csv(tmp_path / "remote" / "results" / name)
        pd.testing.assert_frame_equal(a, b, obj=name)
    assert tasks[-1][0] == tasks[-1][1] > N_VIDEOS  # the videos and the chromatogram batches


def _cli(*args: Any, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_behavior_score_with_a_scheduler_writes_what_the_local_run_writes(
    cluster, files, tmp_path, monkeypatch
):
    monkeypatch.delenv("PDSTUDY_SCHEDULER", raising=False)
    videos = _videos(files, broken=True)
    common = ["behavior", "score", *videos, "--test", "tst", "--window-end", 12]
    local = _cli(*common, "--out", tmp_path / "local", "--workers", 1)
    remote = _cli(*common, "--out", tmp_path / "remote", "--scheduler", cluster.scheduler_address)
    assert local.exit_code == remote.exit_code == 1, remote.output  # broken.mp4 is not scored
    assert "not scored" in remote.output and "broken.mp4" in remote.output
    for rel in ["scores.csv"] + [f"motion/tst{k + 1}.csv" for k in range(N_VIDEOS)]:
        a, b = tmp_path / "local" / rel, tmp_path / "remote" / rel
        assert a.read_bytes() == b.read_bytes(), rel
    assert (tmp_path / "remote" / "figures" / "tst1_motion.png").is_file()


def test_behavior_score_takes_the_scheduler_from_the_environment(
    cluster, files, tmp_path, monkeypatch
):
    import pdstudy.study.cluster as mod

    seen: list[str] = []
    original = mod.connect

    def recording(address: Any, **kw: Any) -> Any:
        seen.append(address)
        return original(address, **kw)

    monkeypatch.setattr(mod, "connect", recording)
    res = _cli("behavior", "score", _videos(files)[0], "--test", "tst", "--window-end", 12,
               "--out", tmp_path, env={"PDSTUDY_SCHEDULER": cluster.scheduler_address})  # fmt: skip
    assert res.exit_code == 0, res.output
    assert seen == [cluster.scheduler_address]
    assert len(pd.read_csv(tmp_path / "scores.csv")) == 1


@pytest.mark.slow
def test_dialysis_analyze_with_a_scheduler_writes_what_the_local_run_writes(
    cluster, files, tmp_path, monkeypatch
):
    monkeypatch.delenv("PDSTUDY_SCHEDULER", raising=False)
    d = files / "dialysis"
    common = [
        "dialysis",
        "analyze",
        "--sequence",
        d / "sequence.csv",
        "--method",
        d / "method.toml",
    ]
    local = _cli(*common, "--out", tmp_path / "local")
    remote = _cli(*common, "--out", tmp_path / "remote", "--scheduler", cluster.scheduler_address)
    assert local.exit_code == remote.exit_code == 0, remote.output
    names = sorted(p.name for p in (tmp_path / "local" / "results").glob("*.csv"))
    assert names
    for name in names:
        a = (tmp_path / "local" / "results" / name).read_bytes()
        assert a == (tmp_path / "remote" / "results" / name).read_bytes(), name


@pytest.mark.slow
def test_a_task_that_kills_every_worker_it_runs_on_is_a_clear_error(cluster):
    with distributed.Client(cluster, set_as_default=False) as client:
        with pytest.raises(
            PdStudyError, match="the cluster lost the worker running 3 too many times"
        ):
            ClusterMapper(client)(os._exit, [3])  # each worker that runs it dies
        client.wait_for_workers(2, timeout=180)


# --- one core per task -------------------------------------------------------------------


def test_a_task_on_a_worker_uses_one_core_unless_the_worker_sets_pdstudy_threads(client):
    from pdstudy.types import ENV_THREADS, task_threads

    mapper = ClusterMapper(client)
    assert mapper(lambda _: task_threads(), range(4)) == [1, 1, 1, 1]
    client.run(lambda: os.environ.update({ENV_THREADS: "2"}))
    try:
        assert mapper(lambda _: task_threads(), range(4)) == [2, 2, 2, 2]
    finally:
        client.run(lambda: os.environ.pop(ENV_THREADS, None))
    # a worker the nanny started runs the numerical libraries on one thread
    environ = client.run(lambda: {k: os.environ.get(k) for k in ("OMP_NUM_THREADS",)})
    assert all(e["OMP_NUM_THREADS"] == "1" for e in environ.values())


# --- the power simulations of a design ------------------------------------------------------


def test_power_simulations_on_the_cluster_equal_the_local_ones_for_the_same_seed(client):
    from pdstudy.stats.power import power_by_analysis

    args = ([156.0, 110.0], 25.0, 6)  # two groups: a cheap analysis per simulated study
    local = power_by_analysis(*args, n_sim=48, seed=11)
    remote, workers = _ran_on_workers(
        client, lambda: power_by_analysis(*args, n_sim=48, seed=11, mapper=ClusterMapper(client))
    )
    assert remote == local
    assert workers  # the simulations ran on the cluster
    other = power_by_analysis(*args, n_sim=48, seed=12, mapper=ClusterMapper(client))
    assert other.power != local.power  # the seed matters, the place does not


@pytest.mark.slow
def test_design_with_a_scheduler_writes_the_same_sample_size_as_locally(
    cluster, tmp_path, monkeypatch
):
    from pdstudy.examples import write_example_study

    monkeypatch.delenv("PDSTUDY_SCHEDULER", raising=False)
    study = write_example_study(tmp_path / "study")
    common = ["design", study, "--n-sim", 100]
    local = _cli(*common, "--out", tmp_path / "local")
    remote = _cli(*common, "--out", tmp_path / "remote", "--scheduler", cluster.scheduler_address)
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert f"power simulations: 8 tasks on {cluster.scheduler_address}" in remote.output
    for name in ("sample_size.csv", "sample_size.md", "key/unblinding_key.csv"):
        a = (tmp_path / "local" / name).read_bytes()
        assert a == (tmp_path / "remote" / name).read_bytes(), name


# --- Ctrl-C ----------------------------------------------------------------------------------


def _tasks_of(client: Any, pid: int) -> dict[str, str]:
    """The scheduler's tasks of the client in process ``pid`` (key -> state)."""

    def of(dask_scheduler: Any) -> dict[str, str]:
        return {
            str(k): ts.state
            for k, ts in dask_scheduler.tasks.items()
            if str(k).startswith("pdstudy-") and f"-{pid}-" in str(k)
        }

    return client.run_on_scheduler(of)


@pytest.mark.slow
def test_ctrl_c_cancels_the_tasks_and_exits_with_a_clear_message(client, cluster, files, tmp_path):
    import subprocess
    import sys

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1] / "src"), *sys.path]),
    }
    env.pop("PDSTUDY_SCHEDULER", None)
    videos = [str(v) for v in _videos(files)] * 4  # 16 tasks: more than 2 workers finish at once
    proc = subprocess.Popen(
        [sys.executable, "-m", "pdstudy", "behavior", "score", *videos, "--test", "tst",
         "--window-end", "12", "--out", str(tmp_path / "out"),
         "--scheduler", cluster.scheduler_address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
        # a test runner started in the background (``cmd &``) ignores SIGINT, and a child
        # inherits that; the child gets the terminal's default, as a user's shell gives it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            states = _tasks_of(client, proc.pid)
            if any(s == "processing" for s in states.values()) and len(states) == len(videos):
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        assert len(states) == len(videos), "the tasks were never all on the cluster"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, (out, err)
    text = out + err
    assert "Traceback" not in text, text
    assert "interrupted:" in err and "task(s) cancelled on the dask cluster at" in err, err
    assert cluster.scheduler_address in err
    assert not (tmp_path / "out" / "scores.csv").exists()  # nothing claims to be complete
    deadline = time.monotonic() + 30
    while _tasks_of(client, proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _tasks_of(client, proc.pid) == {}  # nothing left running or queued for that client
    assert client.wait_for_workers(2, timeout=180) is None


def test_behavior_tst_with_a_scheduler_writes_what_the_local_run_writes(
    cluster, files, tmp_path, monkeypatch
):
    monkeypatch.delenv("PDSTUDY_SCHEDULER", raising=False)
    videos = [a for v in _videos(files) for a in ("--videos", v)]
    common = ["behavior", "tst", *videos, "--animals", files / "animals.csv", "--window-end", 12]
    local = _cli(*common, "--out", tmp_path / "local")
    remote = _cli(*common, "--out", tmp_path / "remote", "--scheduler", cluster.scheduler_address)
    assert local.exit_code == remote.exit_code == 0, remote.output
    names = sorted(p.name for p in (tmp_path / "local" / "results").glob("*.csv"))
    assert names
    for name in names:
        a = (tmp_path / "local" / "results" / name).read_bytes()
        assert a == (tmp_path / "remote" / "results" / name).read_bytes(), name
