"""Benchmark: batched fitting of variable-slope competition curves vs a curve_fit loop.

Fits N curves (12 concentrations x 3 replicates, default N = 100,000) with
``pdstudy.fitting.fit_curves`` and, in the same process, two baselines: a loop of
``scipy.optimize.curve_fit`` over a random sample of the same curves (what a
Python user has today) and pdstudy's own numpy path (``backend="numpy"``, what
lab-sized batches use). It prints the time per curve of each, the ratios, the
peak memory, how closely the answers agree, and the first call on a small batch
(12 curves) in a fresh process with each path: numpy, compiled with numba's
kernels loaded from the disk cache, and compiled from an empty cache.

``--crossover`` prints instead the time of both paths (kernels warm) over a range
of batch sizes: the measurement behind ``solver.COMPILED_MIN_POINTS``.

Run: ``.venv/bin/python benchmarks/bench_fitting.py [--curves N] [--sample K]``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np
from scipy import optimize

from pdstudy.fitting import FOUR_PL, SolverOptions, fit_curves
from pdstudy.fitting.solver import COMPILED_MIN_POINTS

NUMPY = SolverOptions(backend="numpy")
COMPILED = SolverOptions(backend="compiled")

# run in a fresh interpreter: the time of the first fit of 12 curves, and whether numba came in
_FIRST_CALL = """
import sys, time
import numpy as np
from pdstudy.fitting import FOUR_PL, SolverOptions, fit_curves
x = np.repeat(np.linspace(-11.0, -5.5, 12), 3)
true = np.array([0.0, 100.0, -8.0, -1.0])
y = FOUR_PL(np.broadcast_to(x, (12, x.size)), np.tile(true, (12, 1)))
y = y + np.random.default_rng(3).normal(0.0, 4.0, y.shape)
t0 = time.perf_counter()
fit_curves(FOUR_PL, x, y, options=SolverOptions(backend=sys.argv[1]))
print(time.perf_counter() - t0, "numba" in sys.modules)
"""


def simulate(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.repeat(np.linspace(-11.0, -5.5, 12), 3)
    true = np.column_stack(
        [
            rng.uniform(-5, 10, n),
            rng.uniform(90, 110, n),
            rng.uniform(-9.5, -7.0, n),
            -rng.uniform(0.6, 1.5, n),
        ]
    )
    y = FOUR_PL(np.broadcast_to(x, (n, x.size)), true)
    y += rng.normal(0.0, 4.0, y.shape)
    return x, y, true


def four_pl(x: np.ndarray, bottom: float, top: float, logc: float, hill: float) -> np.ndarray:
    return bottom + (top - bottom) / (1.0 + 10.0 ** ((logc - x) * hill))


def first_call(backend: str, cache_dir: str | None = None) -> tuple[float, bool]:
    """Seconds of the first ``fit_curves`` of 12 curves in a fresh interpreter, and
    whether numba was imported (``cache_dir``: numba's cache, e.g. an empty one)."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL, backend],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), out[1] == "True"


def best_time(curves: np.ndarray, x: np.ndarray, options: SolverOptions, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fit_curves(FOUR_PL, x, curves, options=options)
        best = min(best, time.perf_counter() - t0)
    return best


def crossover(x: np.ndarray, y: np.ndarray, repeat: int) -> None:
    fit_curves(FOUR_PL, x, y[:10], options=COMPILED)  # serial kernels
    fit_curves(FOUR_PL, x, y[:5000], options=COMPILED)  # parallel kernels
    print(f"time per batch, best of {repeat}, kernels warm; auto threshold {COMPILED_MIN_POINTS}")
    for n in (12, 40, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000):
        if n > y.shape[0]:
            break
        t_np = best_time(y[:n], x, NUMPY, repeat)
        t_c = best_time(y[:n], x, COMPILED, repeat)
        print(
            f"{n:>7} curves ({n * x.size:>9} points): numpy {t_np * 1e3:8.1f} ms, "
            f"compiled {t_c * 1e3:8.1f} ms, numpy/compiled {t_np / t_c:.2f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--curves", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=1_000, help="curves fitted by the curve_fit loop")
    ap.add_argument("--repeat", type=int, default=3, help="timings repeated; the best is reported")
    ap.add_argument("--crossover", action="store_true", help="time both paths over batch sizes")
    args = ap.parse_args()
    x, y, _ = simulate(args.curves)
    if args.crossover:
        crossover(x, y, args.repeat)
        return
    path = "compiled" if args.curves * x.size >= COMPILED_MIN_POINTS else "numpy"

    # first call compiles the numba kernels (cached on disk afterwards); timed apart
    t0 = time.perf_counter()
    fit_curves(FOUR_PL, x, y[:10], options=COMPILED)
    t_warm = time.perf_counter() - t0
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB on Linux
    # best of --repeat runs for each (the usual timeit practice on a shared machine)
    t_batch = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        fit = fit_curves(FOUR_PL, x, y)
        t_batch = min(t_batch, time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # allocations traced in a second, smaller run (tracing slows numpy down, so it is not timed)
    n_trace = min(args.curves, 10_000)
    tracemalloc.start()
    fit_curves(FOUR_PL, x, y[:n_trace], options=SolverOptions(backend=path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # baseline 1: pdstudy's own numpy path on the same batch
    t_numpy = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        fit_np = fit_curves(FOUR_PL, x, y, options=NUMPY)
        t_numpy = min(t_numpy, time.perf_counter() - t0)
    other = fit_curves(FOUR_PL, x, y, options=COMPILED) if path == "numpy" else fit
    with np.errstate(all="ignore"):
        rel = np.abs(fit_np.params - other.params) / np.maximum(np.abs(other.params), 1.0)
    rel_max = float(np.nanmax(rel))

    # baseline 2: a loop of scipy.optimize.curve_fit
    rng = np.random.default_rng(2)
    sample = rng.choice(args.curves, size=min(args.sample, args.curves), replace=False)
    # the baseline starts from the same data-derived guesses our engine uses
    guess = FOUR_PL.guess(np.broadcast_to(x, y.shape)[sample], y[sample], {})
    ref = np.full((sample.size, 4), np.nan)
    t_loop = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for j, i in enumerate(sample):
            try:
                ref[j], _ = optimize.curve_fit(four_pl, x, y[i], p0=guess[j], maxfev=2000)
            except RuntimeError:
                pass
        t_loop = min(t_loop, time.perf_counter() - t0)

    # first call on a small batch, each path, each in a fresh interpreter
    t_first_np, numba_np = first_call("numpy")
    t_first_cached, _ = first_call("compiled")
    with tempfile.TemporaryDirectory() as empty:
        t_first_cold, _ = first_call("compiled", empty)

    per_batch = t_batch / args.curves
    per_numpy = t_numpy / args.curves
    per_loop = t_loop / sample.size
    ok = np.isfinite(ref).all(axis=1)
    diff = np.abs(fit.params[sample][ok][:, 2:] - ref[ok][:, 2:])
    n_conv = sum(s == "converged" for s in fit.status)
    print(f"timings: best of {args.repeat} runs of each, same process")
    print(
        f"pdstudy fit_curves ({path} path, auto): {args.curves} curves x {x.size} points in "
        f"{t_batch:.2f} s ({per_batch * 1e6:.1f} us/curve); converged {n_conv}/{args.curves}"
    )
    print(
        f"baseline pdstudy numpy path (backend='numpy'): {args.curves} curves in {t_numpy:.2f} s "
        f"({per_numpy * 1e6:.1f} us/curve)"
    )
    print(
        f"baseline scipy.optimize.curve_fit loop: {sample.size} curves in {t_loop:.2f} s "
        f"({per_loop * 1e6:.1f} us/curve); extrapolated to {args.curves}: {per_loop * args.curves:.1f} s"
    )
    print(f"first call (compiles or loads the numba kernels): {t_warm:.2f} s, not included above")
    print(f"speed-up vs curve_fit loop: {per_loop / per_batch:.1f}x")
    print(f"speed-up vs pdstudy numpy path: {per_numpy / per_batch:.2f}x")
    print(f"numpy path speed-up vs curve_fit loop: {per_loop / per_numpy:.1f}x")
    print(
        f"first call on 12 curves, fresh process: numpy path {t_first_np * 1e3:.0f} ms "
        f"(numba imported: {numba_np}); compiled path {t_first_cached:.2f} s with numba's "
        f"cache, {t_first_cold:.2f} s from an empty cache (compiling); "
        f"cold compile / numpy: {t_first_cold / t_first_np:.0f}x"
    )
    print(f"numpy and compiled paths agree: max relative |d param| = {rel_max:.1e}")
    print(
        f"peak memory: process max RSS {rss:.0f} MiB (was {rss0:.0f} MiB before the fit, "
        f"data included); tracemalloc peak for {n_trace} curves {peak / 2**20:.0f} MiB"
    )
    print(
        f"agreement on {int(ok.sum())} sampled curves: max |d logIC50| = {diff[:, 0].max():.2e}, "
        f"max |d Hill| = {diff[:, 1].max():.2e}"
    )


if __name__ == "__main__":
    main()
