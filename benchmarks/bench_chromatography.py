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

Run: ``.venv/bin/python benchmarks/bench_chromatography.py [--n N] [--sample K]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=5)
    args = ap.parse_args()
    settings = PeakSettings(start_s=60.0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_batch(Path(tmp), args.n)
        t0 = time.perf_counter()
        traces = [read_chromatogram(p) for p in paths]
        t_read = time.perf_counter() - t0
        process_trace(traces[0].time_s, traces[0].signal, settings=settings)  # imports, warm-up
        t0 = time.perf_counter()
        n_fit = 0
        for c in traces:
            table, _ = process_trace(c.time_s, c.signal, settings=settings)
            assign_peaks(table, WINDOWS)
            n_fit += int((table["method"] == "emg_fit").any())
        t_proc = time.perf_counter() - t0
        per = t_proc / len(traces)
        print(f"pdstudy: {len(traces)} chromatograms x {traces[0].n_points} points processed in "
              f"{t_proc:.2f} s ({1e3 * per:.1f} ms each; {n_fit} with EMG deconvolution)")  # fmt: skip
        print(
            f"reading the {len(traces)} CSV files: {t_read:.2f} s ({1e3 * t_read / len(traces):.1f} ms each)"
        )
        if args.sample < 1:
            return
        try:
            from hplc.quant import Chromatogram
        except ImportError:
            print("hplc-py not installed: pip install 'hplc-py>=0.2.8,<0.3' for the ratio")
            return
        rng = np.random.default_rng(1)
        pick = rng.choice(len(traces), size=min(args.sample, len(traces)), replace=False)
        t0 = time.perf_counter()
        for k in pick:
            c = traces[int(k)]
            df = pd.DataFrame({"time": c.time_s / 60, "signal": c.signal})
            chrom = Chromatogram(df, time_window=[2.5, 11.0])
            chrom.fit_peaks(verbose=False, prominence=0.05, approx_peak_width=0.3)
        t_hplc = (time.perf_counter() - t0) / len(pick)
        print(
            f"hplc-py Chromatogram.fit_peaks: {1e3 * t_hplc:.0f} ms per chromatogram (sample of {len(pick)})"
        )
        print(f"ratio: pdstudy is {t_hplc / per:.0f}x faster per chromatogram than hplc-py")


if __name__ == "__main__":
    import functools
    import sys

    print = functools.partial(print, flush=True)  # noqa: A001 - lines appear as they are measured
    sys.exit(main())
