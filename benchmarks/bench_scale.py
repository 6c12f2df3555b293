"""Scaling out: many videos and many chromatogram batches, locally and on a dask cluster.

In one run, on the same synthetic files (``pdstudy.simulate``):

- the plain local path: a ``[[tst]]`` section of 16 short videos and a
  ``[[microdialysis]]`` batch analysed in this process (``map`` = the local map);
- the same sections through the scheduler, each video and each batch of
  chromatograms a task (:class:`pdstudy.study.cluster.ClusterMapper`), on a
  ``distributed.LocalCluster`` of 1 and then 2 worker processes (1 thread each);
- the per-task overhead of the scheduler (empty tasks);

and prints the speed-up from 1 to 2 workers (the baseline is the 1-worker
cluster of this run; target at least 1.7x on a 2-core machine), the overhead,
and from these measured figures the projected time for 1,000 such videos on 1,
10 and 100 workers. It checks that every run gives the local run's tables.

Run: ``python benchmarks/bench_scale.py [--videos 16] [--duration 60] [--animals 32] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd


class TimedMapper:
    """A mapper that adds the wall time spent in its calls to :attr:`elapsed` (and this
    process's CPU time meanwhile to :attr:`cpu`)."""

    def __init__(self, inner: Callable[..., list[Any]]) -> None:
        self.inner = inner
        self.elapsed = 0.0
        self.cpu = 0.0

    def __call__(self, fn: Callable[[Any], Any], items: Iterable[Any], /) -> list[Any]:
        t0, c0 = time.perf_counter(), process_cpu_s()
        try:
            return self.inner(fn, items)
        finally:
            self.elapsed += time.perf_counter() - t0
            self.cpu += process_cpu_s() - c0


def make_files(
    folder: Path, n_videos: int, duration_s: float, animals_per_group: int
) -> dict[str, Any]:
    from pdstudy.simulate.chromatograms import DialysisDesign, simulate_dialysis_experiment
    from pdstudy.simulate.videos import BehaviorModel, simulate_behavior_video
    from pdstudy.study import section_spec

    rows = []
    for k in range(n_videos):
        group, frac = ("vehicle", 0.7) if k % 2 == 0 else ("drug", 0.35)
        simulate_behavior_video(
            folder / f"tst{k + 1:02d}.mp4",
            test="tst",
            duration_s=duration_s,
            seed=100 + k,
            models=BehaviorModel(immobile_fraction=frac, ramp_s=duration_s / 3),
        )
        rows.append((f"tst{k + 1:02d}.mp4", f"m{k + 1:02d}", group))
    pd.DataFrame(rows, columns=["video", "animal", "group"]).to_csv(
        folder / "animals.csv", index=False
    )
    simulate_dialysis_experiment(
        folder / "dialysis", design=DialysisDesign(animals_per_group=animals_per_group), seed=5
    )
    tst = section_spec(
        "tst",
        {
            "videos": sorted(folder.glob("tst*.mp4")),
            "animals": folder / "animals.csv",
            "window_end": duration_s,
        },
        name="tst",
    )
    md = section_spec(
        "microdialysis",
        {
            "sequence": folder / "dialysis" / "sequence.csv",
            "method": folder / "dialysis" / "method.toml",
        },
        name="md",
    )
    return {"tst": dict(tst.values), "md": dict(md.values)}


def process_cpu_s() -> float:
    """CPU time (user + system) of this process and its threads so far, seconds."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_sections(
    values: dict[str, Any], inner: Callable[..., list[Any]], client: Any = None
) -> dict[str, Any]:
    """Both sections with ``inner`` as the mapper: results, section times, mapped times, and
    the CPU time each worker process spent meanwhile (``client``'s workers; here without)."""
    from pdstudy.assays.behavior.sections import analyse_tst
    from pdstudy.assays.microdialysis.sections import analyse_microdialysis

    out: dict[str, Any] = {}
    for key, analyse in (("tst", analyse_tst), ("md", analyse_microdialysis)):
        mapper = TimedMapper(inner)
        before = client.run(process_cpu_s) if client is not None else {}
        t0 = time.perf_counter()
        result = analyse(values[key], map=mapper)
        total = time.perf_counter() - t0
        after = client.run(process_cpu_s) if client is not None else {}
        cpu = [after[w] - before[w] for w in sorted(before)] or [mapper.cpu]
        out[key] = (result, total, mapper.elapsed, cpu, mapper.cpu)
    return out


class ReplayMapper:
    """A mapper that returns the results a first run recorded, item by item: what is left of
    a section's time is the work of the process that coordinates it."""

    def __init__(self) -> None:
        self.done: dict[str, Any] = {}

    def __call__(self, fn: Callable[[Any], Any], items: Iterable[Any], /) -> list[Any]:
        out = []
        for item in items:
            key = repr(item)
            if key not in self.done:
                self.done[key] = fn(item)
            out.append(self.done[key])
        return out


def client_time_per_section(values: dict[str, Any], n_videos: int) -> tuple[float, float]:
    """The TST section's time outside its video tasks: (fixed seconds, seconds per video),
    from a line through the times with half and all of the videos (best of 5 each)."""
    from pdstudy.assays.behavior.sections import analyse_tst

    replay = ReplayMapper()
    analyse_tst(values["tst"], map=replay)  # score every video once
    times = {}
    lo, hi = n_videos // 2, n_videos
    for n in (lo, hi):
        v = dict(values["tst"], videos=values["tst"]["videos"][:n])
        best = math.inf
        for _ in range(5):
            t0 = time.perf_counter()
            analyse_tst(v, map=replay)
            best = min(best, time.perf_counter() - t0)
        times[n] = best
    per = max(0.0, (times[hi] - times[lo]) / (hi - lo))
    return max(0.0, times[hi] - per * hi), per


def same_tables(a: Any, b: Any) -> None:
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], obj=name)


def _noop(x: int) -> int:
    return x


def _warm_item(values: dict[str, Any]) -> int:
    """Score one video and integrate one chromatogram (imports, codecs, caches)."""
    from pdstudy.assays.behavior.sections import analyse_tst
    from pdstudy.assays.microdialysis.analysis import analyze_dialysis
    from pdstudy.errors import PdStudyError
    from pdstudy.io.chromatograms import read_method, read_sequence

    seq = read_sequence(values["md"]["sequence"])
    for run in (
        lambda: analyse_tst(dict(values["tst"], videos=values["tst"]["videos"][:1])),
        lambda: analyze_dialysis(
            replace(seq, table=seq.table.head(6)), read_method(values["md"]["method"])
        ),
    ):
        try:
            run()
        except PdStudyError:
            pass  # too few animals for the statistics: the per-file work ran, which is the point
    return os.getpid()


def warm(client: Any, values: dict[str, Any]) -> None:
    """Run a little of each analysis on every worker first, as on a cluster whose workers
    stay up between runs (the timed runs then measure the work, not the imports)."""
    workers = list(client.scheduler_info()["workers"])
    client.gather([client.submit(_warm_item, values, workers=[w], pure=False) for w in workers])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=16)
    parser.add_argument(
        "--duration", type=float, default=60.0, help="seconds per video (a real test: 360)"
    )
    parser.add_argument(
        "--animals", type=int, default=32, help="microdialysis animals per group (32: ~860 runs)"
    )
    parser.add_argument("--empty", type=int, default=300, help="empty tasks for the overhead")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from pdstudy.assays.contract import fingerprint
    from pdstudy.study.cluster import ClusterMapper
    from pdstudy.types import local_map

    load_start = os.getloadavg()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pdstudy-bench-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    values = make_files(folder, args.videos, args.duration, args.animals)
    n_inj = len(pd.read_csv(folder / "dialysis" / "sequence.csv"))
    from pdstudy.assays.microdialysis.analysis import injections_per_task

    per_task = injections_per_task(n_inj)
    n_batches = math.ceil(n_inj / per_task)

    _warm_item(values)
    runs = {"local": run_sections(values, local_map)}
    overhead: dict[str, float] = {}
    for n in (1, 2):
        with (
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster, set_as_default=False) as client,
        ):
            warm(client, values)
            runs[f"{n} worker"] = run_sections(values, ClusterMapper(client), client)
            if n == 1:
                mapper = ClusterMapper(client)
                mapper(_noop, range(10))  # warm
                t0 = time.perf_counter()
                mapper(_noop, range(args.empty))
                overhead["mapper"] = (time.perf_counter() - t0) / args.empty
                with client.as_current():
                    from distributed import wait

                    t0 = time.perf_counter()
                    wait(client.map(_noop, range(args.empty), pure=False))
                    overhead["bare"] = (time.perf_counter() - t0) / args.empty
    for run in runs.values():
        for key in ("tst", "md"):
            same_tables(runs["local"][key][0], run[key][0])
    t0 = time.perf_counter()
    for v in values["tst"]["videos"]:
        fingerprint(v)
    hash_s = (time.perf_counter() - t0) / args.videos
    load_end = os.getloadavg()

    print(
        f"bench_scale: {args.videos} TST videos ({args.duration:g} s, 320x240, 30 fps) and "
        f"{n_inj} chromatograms in {n_batches} batches of {per_task}; "
        f"{os.cpu_count()} CPUs; load average {load_start[0]:.2f} at the start, "
        f"{load_end[0]:.2f} at the end"
    )
    labels = {
        "local": "plain local map",
        "1 worker": "scheduler, 1 worker",
        "2 worker": "scheduler, 2 workers",
    }
    for key, what, unit in (("tst", "videos", "tasks"), ("md", "chromatograms", "tasks")):
        for name, run in runs.items():
            _, total, mapped, _, _ = run[key]
            part = "per-file part" if name == "local" else unit
            print(
                f"  {what:13s} {labels[name]:21s} section {total:6.2f} s  ({part} {mapped:6.2f} s)"
            )
    sv = runs["1 worker"]["tst"][2] / runs["2 worker"]["tst"][2]
    sv_all = runs["1 worker"]["tst"][1] / runs["2 worker"]["tst"][1]
    sc = runs["1 worker"]["md"][2] / runs["2 worker"]["md"][2]
    sc_all = runs["1 worker"]["md"][1] / runs["2 worker"]["md"][1]
    print(
        f"speed-up from 1 to 2 workers (baseline: the 1-worker cluster, same run): videos "
        f"{sv:.2f}x (whole section {sv_all:.2f}x), chromatograms {sc:.2f}x (whole section "
        f"{sc_all:.2f}x); target >= 1.7x"
    )
    print(
        f"scheduler overhead per task: {1e3 * overhead['mapper']:.2f} ms through ClusterMapper "
        f"(SHA check included), {1e3 * overhead['bare']:.2f} ms for a bare client.map "
        f"({args.empty} empty tasks, 1 worker)"
    )

    def cores(name: str, key: str, count: int) -> str:
        _, _, mapped, cpu, _ = runs[name][key]
        return (
            ", ".join(f"{c / mapped:.2f}" for c in cpu)
            + f" core(s), {1e3 * sum(cpu) / count:.0f} ms CPU per task"
        )

    for key, what, count in (("tst", "videos", args.videos), ("md", "chromatograms", n_batches)):
        client_cpu = runs["2 worker"][key][4] / count
        print(
            f"cpu use per worker, {what} (each worker process's CPU time / the tasks' wall "
            f"time): 1 worker {cores('1 worker', key, count)}; 2 workers "
            f"{cores('2 worker', key, count)}; plain local map {cores('local', key, count)}; "
            f"the client {1e3 * client_cpu:.1f} ms CPU per task"
        )
    fixed, per_video = client_time_per_section(values, args.videos)
    serial = per_video + hash_s + overhead["mapper"]
    task = runs["1 worker"]["tst"][2] / args.videos - hash_s - overhead["mapper"]
    proj = {w: fixed + 1000 * serial + math.ceil(1000 / w) * task for w in (1, 10, 100)}
    print(
        "projected 1,000 such videos: "
        + ", ".join(f"{w} worker(s) {t / 60:.1f} min" for w, t in proj.items())
    )
    print(
        f"  = {fixed:.2f} s once (the section's statistics and tables) + 1000 x "
        f"{1e3 * serial:.1f} ms serial in the client per video ({1e3 * per_video:.2f} ms "
        f"analysis + {1e3 * hash_s:.1f} ms SHA-256 + {1e3 * overhead['mapper']:.1f} ms "
        f"scheduler overhead, measured) + ceil(1000 / workers) x {task:.2f} s per video task "
        f"(the 1-worker cluster's time per video, less those); assumes the shared file "
        f"system keeps up"
    )
    print("identical: every run's tables equal the plain local run's")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
