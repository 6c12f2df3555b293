"""Video scoring speed: a 6-minute 640 x 480 30-fps H.264 FST video (10,800 frames).

Every line is measured in this run, on this machine, in interleaved rounds (the
fastest round of each is kept, so that a burst of load elsewhere on a shared
machine does not decide a ratio). Wall time decides the rates; the CPU seconds
(all threads of this process, or of the child process) are printed beside them,
because on a 2-core machine the CPU a job needs bounds its wall time.

What each line measures:

- ``decode PyAV luma, full resolution, 1 stream``: pdstudy's reader
  (:func:`pdstudy.io.read_video`, FFmpeg through PyAV, the Y plane only, FFmpeg's
  frame threads, a decoding thread) at full resolution, with the loop filter,
  one pass: the plain decoder;
- ``decode OpenCV read()+cvtColor``: OpenCV's ``VideoCapture.read`` and conversion
  to grey, the decoder ezTrack uses;
- ``decode-only, the scorer's settings``: exactly the decoding ``pdstudy behavior
  score`` does, nothing else: the scorer's resolution (area averaging to 1/4 of the
  width and height here, in two halvings, :func:`pdstudy.video.score.auto_scale`), with the in-loop
  deblocking filter, the video cut at its middle key frame into 2 segments
  decoded at once in 2 threads (the key frames found by demuxing alone). This is
  the decode-only rate the scorer is compared with;
- ``bound: reference frames only, 2 segments`` (raw PyAV, no conversion,
  ``skip_frame = "NONREF"``): what decoding costs when the decoder skips every
  frame no other frame needs (about half of this file's frames; its rate is the
  video's 10,800 frames over its time, the frames it decoded are printed). It is
  not what pdstudy does (it would halve the motion's frame rate); with ``no loop
  filter`` as well (which costs accuracy, see docs/behavior.md), it shows how fast
  decoding can get at all;
- ``pdstudy scoring, in process``: :func:`pdstudy.video.score.trace_video` (key frame
  scan and background, decoding, the silhouette-relative motion of every frame)
  and :func:`~pdstudy.video.score.score_trace`;
- ``pdstudy behavior score (whole process)``: the command as a user runs it, in a
  new Python process: start-up and imports, scoring, ``scores.csv``, the per-frame
  motion CSV and the motion figure;
- ``baseline: ezTrack algorithm``: ezTrack's published FreezeAnalysis algorithm
  (OpenCV ``read()`` + ``cvtColor`` + float ``GaussianBlur`` + ``absdiff`` +
  thresholded pixel count, full resolution, one stream).

Then the ratios of the whole process (and of scoring in process) against the
baseline and against the scorer's decode-only rate, the same comparisons by CPU
seconds (steadier than wall time on a loaded machine), and the best any scorer
decoding this file could reach against the baseline.

Run: ``python benchmarks/bench_video.py [--keep DIR] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

FRAMES = 10800


def make_video(path: Path) -> None:
    from pdstudy.simulate.videos import simulate_behavior_video

    simulate_behavior_video(
        path, test="fst", duration_s=360, fps=30, width=640, height=480, seed=11
    )


def decode_pyav(path: Path, scale: int) -> int:
    from pdstudy.io.videos import read_video

    return sum(1 for _ in read_video(path, scale=scale).frames())


def decode_scorer_settings(path: Path) -> int:
    """The scorer's decoding only: its resolution (:func:`pdstudy.video.score.auto_scale`),
    loop filter, 2 segments in 2 threads."""
    from dataclasses import replace

    from pdstudy.io.videos import read_video, scan_keyframes
    from pdstudy.video.score import auto_scale, segment_starts

    info = read_video(path).info
    video = read_video(path, scale=auto_scale(info.width, info.height))
    cuts = segment_starts(scan_keyframes(video, limit=0), 2)
    starts = [(0, None), *cuts]
    stops = [t for _, t in cuts] + [None]
    counts = [0] * len(starts)

    def run(k: int) -> None:
        v = replace(video, problems=[])
        frames = v.frames(start_s=starts[k][1], stop_s=stops[k], first_index=starts[k][0])
        counts[k] = sum(1 for _ in frames)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(starts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) - (len(starts) - 1)  # the segments share their boundary frames


def decode_bound(path: Path, loop_filter: bool = False) -> int:
    """Raw PyAV, reference frames only (without the loop filter unless ``loop_filter``),
    2 segments at the middle key frame."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        keys = [p.pts for p in c.demux(s) if p.is_keyframe and p.pts is not None]
    mid = keys[len(keys) // 2]
    counts = [0, 0]

    def run(k: int) -> None:
        with av.open(str(path)) as c:
            s = c.streams.video[0]
            s.thread_type = "AUTO"
            s.codec_context.skip_frame = "NONREF"
            if not loop_filter:
                s.codec_context.options = {"skip_loop_filter": "all"}
            if k == 1:
                c.seek(mid, stream=s, backward=True)
            for fr in c.decode(s):
                if fr.pts is None:
                    continue
                if (k == 0 and fr.pts >= mid) or (k == 1 and fr.pts < mid):
                    if k == 0:
                        break
                    continue
                np.frombuffer(fr.planes[0], np.uint8)
                counts[k] += 1

    threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts)


def decode_opencv(path: Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(path))
    n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        n += 1
    cap.release()
    return n


def eztrack_baseline(path: Path, cutoff: float = 10.0, sigma: float = 1.0) -> int:
    """ezTrack FreezeAnalysis: grey frames, float Gaussian blur, absdiff, count > cutoff."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    ok, frame = cap.read()
    prev = cv2.GaussianBlur(
        cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype("float32"), (0, 0), sigma
    )
    counts = [0]
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        cur = cv2.GaussianBlur(
            cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype("float32"), (0, 0), sigma
        )
        counts.append(int(np.sum(cv2.absdiff(cur, prev) > cutoff)))
        prev = cur
    cap.release()
    return len(counts)


def score_in_process(path: Path) -> int:
    from pdstudy.video.score import ScoringParams, score_trace, trace_video

    tv = trace_video(path)
    score_trace(tv.trace, ScoringParams(), (120.0, 360.0))
    return tv.trace.n_frames


def timed(fn, *args) -> tuple[float, float, int]:  # noqa: ANN001
    """Wall seconds, CPU seconds (this process's threads and its finished children), result."""

    def cpu() -> float:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    c, t = cpu(), time.perf_counter()
    n = fn(*args)
    return time.perf_counter() - t, cpu() - c, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", type=Path, help="folder to keep (and reuse) the test video in")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds (best kept)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    folder = args.keep or tmp
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / "fst_640x480_6min.mp4"
    if not video.exists():
        t = time.perf_counter()
        make_video(video)
        print(f"simulated {video.name} in {time.perf_counter() - t:.1f} s")
    try:
        cmd = [sys.executable, "-m", "pdstudy", "behavior", "score", str(video), "--test", "fst",
               "--out", str(tmp / "score_out")]  # fmt: skip

        def whole_process() -> int:
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr.strip()[-500:])
            return FRAMES

        names = {
            "plain": "decode PyAV luma, full resolution, 1 stream",
            "opencv": "decode OpenCV read()+cvtColor",
            "decode": "decode-only, the scorer's settings",
            "bound_lf": "bound: reference frames only, 2 segments",
            "bound": "bound: reference frames only, no loop filter, 2 segments",
            "inproc": "pdstudy scoring, in process",
            "whole": "pdstudy behavior score (whole process)",
            "base": "baseline: ezTrack algorithm (OpenCV, full resolution)",
        }
        jobs = {
            "plain": (decode_pyav, video, 1),
            "opencv": (decode_opencv, video),
            "decode": (decode_scorer_settings, video),
            "bound_lf": (decode_bound, video, True),
            "bound": (decode_bound, video),
            "inproc": (score_in_process, video),
            "whole": (whole_process,),
            "base": (eztrack_baseline, video),
        }
        rows: dict[str, tuple[float, float, int]] = {}
        for _ in range(args.rounds):
            for key, (fn, *fargs) in jobs.items():
                sec, cpu, n = timed(fn, *fargs)
                if key not in rows or sec < rows[key][0]:
                    rows[key] = (sec, cpu, n)
        # rates are the video's frames over the time: the bound decodes fewer frames (it says
        # how many) but covers the whole video
        for key, (sec, cpu, n) in rows.items():
            print(f"{names[key]:<57} {n:6d} frames {sec:6.2f} s {FRAMES / sec:6.0f} frames/s "
                  f"(cpu {cpu:5.2f} s)")  # fmt: skip
        fps = {k: FRAMES / v[0] for k, v in rows.items()}
        faster = "PyAV" if fps["plain"] > fps["opencv"] else "OpenCV"
        print(f"faster decoder here: {faster}")
        for key in ("inproc", "whole"):
            print(
                f"{names[key]}: {fps[key]:.0f} frames/s = {fps[key] / 30:.0f}x real time, "
                f"{fps[key] / fps['base']:.1f}x the ezTrack baseline, "
                f"{100 * fps[key] / fps['decode']:.0f} % of the scorer's decode-only rate"
            )
        # on a shared machine wall time depends on the others' load; the CPU a job needs
        # does much less, and on an idle machine bounds its wall time (CPU / cores)
        cpu = {k: v[1] for k, v in rows.items()}
        print(
            f"by CPU seconds: the whole process needs {cpu['base'] / cpu['whole']:.1f}x less CPU "
            f"than the baseline; the scorer's decoding is {100 * cpu['decode'] / cpu['whole']:.0f} "
            f"% of the whole process's CPU"
        )
        best = max(fps["plain"], fps["decode"])
        print(
            f"ceiling against the baseline: decoding every frame (the faster of the two PyAV "
            f"lines, no scoring at all) is {best / fps['base']:.1f}x the baseline; decoding "
            f"only reference frames (half the motion's frame rate) {fps['bound_lf'] / fps['base']:.1f}x, "
            f"and without the loop filter too {fps['bound'] / fps['base']:.1f}x; "
            f"5x would need {5 * fps['base']:.0f} frames/s ({os.cpu_count()} cores)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
