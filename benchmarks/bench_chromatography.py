"""Benchmark: the chromatography engine on a batch vs hplc-py on a sample of it.

Simulates N chromatograms (default 1,000) of 9,000 points (900 s at 10 Hz) with
three analytes (NE, DA, 5-HT; tailing EMG peaks, drift, noise, a solvent front)
and, in every fifth run, an unknown peak fused with DA (resolution ~1, so the
EMG deconvolution runs). They are written as two-column CSV files, read back
(``pdstudy.io.read_chromatogram``, timed apart), then processed: baseline
(pybaselines arPLS), peak detection and integration, deconvolution of fused
clusters and assignment to the analyte windows. In the same run, hplc-py
(``hplc.quant.Chromatogram.fit_peaks``, a benchmark-only dependency:
``pip install 'hplc-py>=0.2.8,<0.3'``) fits a random sample of the same
chromatograms; the ratio is per chromatogram.

Then the whole batch again, reading and processing each file, in ``--workers``
processes (default 2, the cores of the project's machine; chunks of files per
task so that the start-up and the pickling of results are paid once per
chunk): the wall time of the batch, the line the 10 s target is read from, and
its speed-up over reading and processing in one process.

Run: ``.venv/bin/python benchmarks/bench_chromatography.py [--n N] [--sample K]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from pdstudy.chromatography import PeakSettings, Window, assign_peaks, process_trace
from pdstudy.io import read_chromatogram, write_chromatogram
from pdstudy.simulate.chromatograms import SimPeak, simulate_trace

WINDOWS = {"NE": Window(190.0, 20.0), "DA": Window(330.0, 20.0), "5-HT": Window(560.0, 20.0)}


def make_batch(folder: Path, n: int, seed: int = 0) -> list[Path]:
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        peaks = [
            SimPeak(0.1 * rng.uniform(0.5, 3), 190.0),
            SimPeak(0.08 * rng.uniform(0.5, 3), 330.0),
            SimPeak(0.06 * rng.uniform(0.5, 3), 560.0),
        ]
        if i % 5 == 0:
            peaks.append(SimPeak(0.05, 342.0))  # fused with DA (resolution ~1)
        t, y = simulate_trace(peaks, duration_s=900.0, rate_hz=10.0, noise_sd=0.0005, seed=rng)
        paths.append(write_chromatogram(t, y, folder / f"run{i:04d}.csv"))
    return paths


SETTINGS = PeakSettings(start_s=60.0)


def read_and_process(paths: list[Path]) -> list[int]:
    """Read, process and assign a chunk of files (one task of the parallel run)."""
    found = []
    for p in paths:
        c = read_chromatogram(p)
        table, _ = process_trace(c.time_s, c.signal, settings=SETTINGS)
        found.append(int((assign_peaks(table, WINDOWS)["analyte"] != "").sum()))
    return found


def parallel(paths: list[Path], workers: int) -> tuple[float, int]:
    """Wall time of reading and processing ``paths`` in ``workers`` processes, peaks assigned."""
    chunk = max(1, len(paths) // (4 * workers))
    chunks = [paths[i : i + chunk] for i in range(0, len(paths), chunk)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        assigned = sum(sum(part) for part in pool.map(read_and_process, chunks))
    return time.perf_counter() - t0, assigned


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=5)
    ap.add_argument(
        "--hplc-timeout", type=float, default=300.0, help="seconds allowed per hplc-py fit"
    )
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    settings = SETTINGS
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_batch(Path(tmp), args.n)
        t0 = time.perf_counter()
        traces = [read_chromatogram(p) for p in paths]
        t_read = time.perf_counter() - t0
        process_trace(traces[0].time_s, traces[0].signal, settings=settings)  # imports, warm-up
        t0 = time.perf_counter()
        n_fit = n_assigned = 0
        for c in traces:
            table, _ = process_trace(c.time_s, c.signal, settings=settings)
            n_assigned += int((assign_peaks(table, WINDOWS)["analyte"] != "").sum())
            n_fit += int((table["method"] == "emg_fit").any())
        t_proc = time.perf_counter() - t0
        per = t_proc / len(traces)
        print(f"pdstudy: {len(traces)} chromatograms x {traces[0].n_points} points processed in "
              f"{t_proc:.2f} s ({1e3 * per:.1f} ms each; {n_fit} with EMG deconvolution)")  # fmt: skip
        print(
            f"reading the {len(traces)} CSV files: {t_read:.2f} s ({1e3 * t_read / len(traces):.1f} ms each)"
        )
        if args.workers > 1:
            wall, assigned = parallel(paths, args.workers)
            if assigned != n_assigned:
                raise SystemExit(
                    f"{assigned} peaks assigned in parallel, {n_assigned} in one process"
                )
            print(
                f"read + processed in {args.workers} processes ({os.cpu_count()} CPUs): "
                f"{len(paths)} files in {wall:.2f} s, {(t_read + t_proc) / wall:.2f}x one process"
            )
        if args.sample < 1:
            return
        try:
            from hplc.quant import Chromatogram
        except ImportError:
            print("hplc-py not installed: pip install 'hplc-py>=0.2.8,<0.3' for the ratio")
            return
        del Chromatogram  # imported to check it is installed; it runs in a child process
        rng = np.random.default_rng(1)
        pick = rng.choice(len(traces), size=min(args.sample, len(traces)), replace=False)
        ctx = multiprocessing.get_context("spawn")
        done_times = []
        for k in pick:
            c = traces[int(k)]
            child = ctx.Process(target=_hplc_fit, args=(c.time_s, c.signal))
            t0 = time.perf_counter()
            child.start()
            child.join(args.hplc_timeout)
            elapsed = time.perf_counter() - t0
            if child.is_alive():  # still fitting: a lower bound on its time
                child.terminate()
                child.join()
                print(
                    f"hplc-py Chromatogram.fit_peaks: not finished after {elapsed:.0f} s on one "
                    f"chromatogram (stopped)"
                )
                print(
                    f"ratio: pdstudy is more than {elapsed / per:,.0f}x faster per chromatogram "
                    "than hplc-py (a lower bound: hplc-py did not finish)"
                )
                return
            done_times.append(elapsed)
        t_hplc = float(np.mean(done_times))
        print(
            f"hplc-py Chromatogram.fit_peaks: {1e3 * t_hplc:.0f} ms per chromatogram (sample of {len(pick)}, "
            "process start-up included)"
        )
        print(f"ratio: pdstudy is {t_hplc / per:.0f}x faster per chromatogram than hplc-py")


def _hplc_fit(time_s: np.ndarray, signal: np.ndarray) -> None:
    """hplc-py's fit of one chromatogram (in a child process, so that it can be stopped)."""
    from hplc.quant import Chromatogram

    df = pd.DataFrame({"time": time_s / 60, "signal": signal})
    chrom = Chromatogram(df, time_window=[2.5, 11.0])
    chrom.fit_peaks(verbose=False, prominence=0.05, approx_peak_width=0.3)


if __name__ == "__main__":
    import functools
    import sys

    print = functools.partial(print, flush=True)  # noqa: A001 - lines appear as they are measured
    sys.exit(main())
