"""The motion signal: per animal and frame, the fraction of its region whose luma changed.

For each frame and region, the previous frame is first aligned on the current
one by the region's own translation (phase correlation on a coarse copy,
sub-pixel), so that an animal carried across the water (FST drift) or swinging
rigidly on its tail (TST pendulum) does not count as moving: what remains is
movement relative to the animal's own silhouette. Then the absolute difference
of the two frames is histogrammed inside the region; the counts of pixels
changing by more than each cutoff 0..``MAX_CUTOFF - 1`` are kept, so that the
noise cutoff can be recalibrated, and the signal re-thresholded, without
decoding again. The motion at a cutoff is that count over the region's area
(a fraction, independent of resolution and crop).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING

import numpy as np

from pdstudy.errors import UsageError
from pdstudy.io.videos import Frame
from pdstudy.video.rois import RoiMask

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_CUTOFF",
    "background_image",
    "MotionTrace",
    "compute_motion",
    "cutoff_from_empty",
    "cutoff_from_video",
    "noise_scale",
]

#: cutoffs (luma levels, 0-255) whose exceedance counts are kept per frame
MAX_CUTOFF = 64
_COARSE = 2
#: luma levels per frame by which the background follows the scene
_BG_RATE = 0.25


@dataclass(frozen=True)
class MotionTrace:
    """Per-frame changed-pixel counts of each region of one video.

    ``counts[f, r, c]``: pixels of region ``r`` whose luma changed by more than
    ``c`` between frame ``f - 1`` (aligned) and frame ``f`` (frame 0: zeros).
    ``shift_px[f, r]``: the translation removed, in analysis pixels.
    """

    times_s: np.ndarray
    animals: tuple[str, ...]
    areas: np.ndarray
    counts: np.ndarray
    shift_px: np.ndarray
    scale: int

    @property
    def n_frames(self) -> int:
        return int(self.times_s.size)

    def motion(self, cutoff: int) -> np.ndarray:
        """Changed fraction per frame and region at a noise cutoff, shape (frames, regions)."""
        c = int(cutoff)
        if not 0 <= c < MAX_CUTOFF:
            raise UsageError(f"noise cutoff must be 0..{MAX_CUTOFF - 1}, got {cutoff}")
        return self.counts[:, :, c] / self.areas[None, :]

    def to_frame(self, cutoff: int | None = None) -> pd.DataFrame:
        """Long table: frame, time_s, animal, shift_px, above_0 .. above_63 (and motion)."""
        import pandas as pd

        n, r, k = self.counts.shape
        df = pd.DataFrame(
            {
                "frame": np.repeat(np.arange(n), r),
                "time_s": np.repeat(self.times_s, r),
                "animal": np.tile(np.asarray(self.animals, dtype=object), n),
                "area_px": np.tile(self.areas, n),
                "shift_px": self.shift_px.reshape(-1),
            }
        )
        if cutoff is not None:
            df["motion"] = self.motion(cutoff).reshape(-1)
        wide = pd.DataFrame(self.counts.reshape(n * r, k), columns=[f"above_{c}" for c in range(k)])
        return pd.concat([df, wide], axis=1)

    def write_csv(self, path: str | PathLike[str], cutoff: int, states: np.ndarray) -> None:
        """Write the columns of :meth:`to_frame` (``motion`` at ``cutoff``, then ``state``) as
        CSV through numpy, much faster than through a DataFrame."""
        n, r, k = self.counts.shape
        head = ["frame", "time_s", "animal", "area_px", "shift_px", "motion", "state"]
        head += [f"above_{c}" for c in range(k)]
        motion = self.motion(cutoff)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(",".join(head) + "\n")
            for i, animal in enumerate(self.animals):
                name = str(animal).replace("%", "%%").replace(",", ";")
                fmt = f"%d,%.6f,{name},%d,%.3f,%.6g,%d," + ",".join(["%d"] * k)
                body = np.column_stack(
                    [np.arange(n), self.times_s, np.full(n, self.areas[i]), self.shift_px[:, i],
                     motion[:, i], states[:, i], self.counts[:, i, :]]
                )  # fmt: skip
                np.savetxt(fh, body, fmt=fmt)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, scale: int = 1) -> MotionTrace:
        """Inverse of :meth:`to_frame`."""
        import pandas as pd

        animals = tuple(pd.unique(df["animal"].astype(str)))
        r = len(animals)
        n = len(df) // r
        cols = [f"above_{c}" for c in range(MAX_CUTOFF)]
        counts = df[cols].to_numpy(np.int64).reshape(n, r, MAX_CUTOFF)
        return cls(
            times_s=df["time_s"].to_numpy(float).reshape(n, r)[:, 0],
            animals=animals,
            areas=df["area_px"].to_numpy(np.int64)[:r],
            counts=counts,
            shift_px=df["shift_px"].to_numpy(float).reshape(n, r),
            scale=scale,
        )


def _coarse(img: np.ndarray) -> np.ndarray:
    import cv2

    h, w = img.shape
    small = cv2.resize(
        img, (max(8, w // _COARSE), max(8, h // _COARSE)), interpolation=cv2.INTER_AREA
    )
    return small.astype(np.float32)


Pose = tuple[float, float, float, float, float, float, float, float]


def _pose(small: np.ndarray, bg: np.ndarray, contrast: float) -> Pose | None:
    """Silhouette of the pixels far from the background (the animal): its centroid
    (x, y, analysis pixels), orientation (rad), elongation and bounding box
    (x0, y0, x1, y1); None without one."""
    import cv2

    # a soft silhouette (0 below contrast / 2, 1 above 3 / 2 contrast), for sub-pixel
    # moments: clip(|small - bg| - contrast / 2, 0, contrast), which is contrast times
    # clip(|small - bg| / contrast - 1 / 2, 0, 1) (OpenCV's SIMD, no temporaries)
    half = 0.5 * contrast
    a = cv2.absdiff(small, bg)
    on = cv2.compare(a, half, cv2.CMP_GT)  # type: ignore[call-overload]  # a scalar operand
    cv2.subtract(a, half, dst=a)  # type: ignore[call-overload]  # a scalar operand
    cv2.threshold(a, 0.0, 0.0, cv2.THRESH_TOZERO, dst=a)
    cv2.threshold(a, contrast, 0.0, cv2.THRESH_TRUNC, dst=a)
    m = cv2.moments(a)
    m00 = m["m00"] / contrast
    if m00 < 4 or m00 > 0.5 * a.size:
        return None
    cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    mu20, mu02, mu11 = m["mu20"], m["mu02"], m["mu11"]
    theta = 0.5 * math.atan2(2 * mu11, mu20 - mu02)
    common = math.sqrt(4 * mu11**2 + (mu20 - mu02) ** 2)
    lam1, lam2 = mu20 + mu02 + common, mu20 + mu02 - common
    elong = math.sqrt(lam1 / lam2) if lam2 > 1e-9 * contrast else math.inf
    c = (_COARSE - 1) / 2
    bx, by, bw, bh = cv2.boundingRect(on)
    return (
        cx * _COARSE + c,
        cy * _COARSE + c,
        theta,
        elong,
        float(bx * _COARSE),
        float(by * _COARSE),
        float((bx + bw) * _COARSE),
        float((by + bh) * _COARSE),
    )


def _rigid(p0: Pose, p1: Pose) -> tuple[np.ndarray, float, float]:
    """The rigid map of silhouette pose p0 onto p1 (rotation about the centroid only for an
    elongated silhouette, whose axis is well defined)."""
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    dth = 0.0
    if min(p0[3], p1[3]) > 1.8:
        dth = (p1[2] - p0[2] + math.pi / 2) % math.pi - math.pi / 2
        if abs(dth) > math.radians(15):
            dth = 0.0
    c, s = math.cos(dth), math.sin(dth)
    tx = p1[0] - (c * p0[0] - s * p0[1])
    ty = p1[1] - (s * p0[0] + c * p0[1])
    mat = np.array([[c, -s, tx], [s, c, ty]], np.float32)
    return mat, dx, dy


def background_image(frames: Sequence[Frame]) -> np.ndarray | None:
    """Per-pixel median of frames spread over the video (key frames): the scene without a
    moving animal; None with fewer than 5."""
    if len(frames) < 5:
        return None
    return np.median(np.stack([f.luma for f in frames]), axis=0).astype(np.uint8)


def compute_motion(
    frames: Iterable[Frame],
    masks: Sequence[RoiMask],
    *,
    background: np.ndarray | None = None,
    compensate: bool = True,
    contrast: float = 30.0,
    max_shift_px: float = 12.0,
    scale: int = 1,
    progress: Callable[[int], None] | None = None,
) -> MotionTrace:
    """Motion counts of every region over a stream of luma frames.

    Parameters
    ----------
    frames
        Luma frames in presentation order (:meth:`pdstudy.io.videos.Video.frames`).
    masks
        The regions at the frames' resolution (:func:`pdstudy.video.rois.roi_masks`).
    compensate
        Also difference the current frame against the previous one moved by the
        animal's translation, and keep the smaller change per pixel: the
        background is compared unmoved, the animal on its own silhouette.
    background
        The scene without the animal (:func:`background_image`) at the frames'
        resolution; without one, the first frame starts the background. It
        follows slow changes (lighting) by an approximate running median.
    contrast
        Luma difference from the background that marks the animal's
        silhouette (whose centroid gives the translation).
    max_shift_px
        Larger frame-to-frame translations (analysis pixels) are movement, not drift.
    progress
        Called with the number of frames done, every 500 frames.
    """
    import cv2

    times: list[float] = []
    hists: list[np.ndarray] = []
    shifts: list[np.ndarray] = []
    r = len(masks)
    # rectangles need no mask (their crop is the region)
    mask_u8 = [None if m.mask.all() else m.mask.astype(np.uint8) for m in masks]
    prev: list[np.ndarray | None] = [None] * r
    prev_small: list[Pose | None] = [None] * r
    bgs: list[np.ndarray] = [np.zeros(0, np.float32)] * r
    steps: list[np.ndarray] = [np.zeros(0, np.float32)] * r
    shift2 = max_shift_px**2
    pad = max_shift_px + 2
    nbins = [MAX_CUTOFF]
    ranges = [0, MAX_CUTOFF]
    for k, fr in enumerate(frames):
        hist = np.zeros((r, MAX_CUTOFF), np.float32)
        sh = np.zeros(r)
        for i, m in enumerate(masks):
            cur = fr.luma[m.rows, m.cols]
            if cur.shape != m.mask.shape:
                raise UsageError(
                    f"region {m.animal!r} does not fit the frame", where=f"frame {fr.index}"
                )
            p = prev[i]
            if p is not None:
                d = cv2.absdiff(cur, p)
                if compensate:
                    small = _coarse(cur)
                    b, step = bgs[i], steps[i]
                    # b += clip(small - b, -rate, rate): the approximate running median
                    cv2.subtract(small, b, dst=step)
                    cv2.min(step, _BG_RATE, dst=step)  # type: ignore[call-overload]  # a scalar operand
                    cv2.max(step, -_BG_RATE, dst=step)  # type: ignore[call-overload]  # a scalar operand
                    cv2.add(b, step, dst=b)
                    c1 = _pose(small, b, contrast)
                    c0 = prev_small[i]
                    prev_small[i] = c1
                    if c0 is not None and c1 is not None:
                        mat, dx, dy = _rigid(c0, c1)
                        if 0.0001 < dx * dx + dy * dy < shift2 or mat[0, 1] != 0:
                            # only around the animal: the background is compared unmoved
                            x0 = int(max(0, min(c0[4], c1[4]) - pad))
                            y0 = int(max(0, min(c0[5], c1[5]) - pad))
                            x1 = int(min(cur.shape[1], max(c0[6], c1[6]) + pad))
                            y1 = int(min(cur.shape[0], max(c0[7], c1[7]) + pad))
                            if x1 > x0 and y1 > y0:
                                mat[0, 2] -= x0
                                mat[1, 2] -= y0
                                moved = cv2.warpAffine(
                                    p, mat, (x1 - x0, y1 - y0), borderMode=cv2.BORDER_REPLICATE
                                )
                                box = d[y0:y1, x0:x1]
                                np.minimum(box, cv2.absdiff(cur[y0:y1, x0:x1], moved), out=box)
                            sh[i] = math.hypot(dx, dy)
                # the changes 0 .. MAX_CUTOFF - 1 only: the counts above each cutoff are
                # the area less the cumulative counts (at the end, for every frame at once)
                hist[i] = cv2.calcHist([d], [0], mask_u8[i], nbins, ranges)[:, 0]
            elif compensate:
                small = _coarse(cur)
                if background is not None:
                    bgs[i] = _coarse(background[m.rows, m.cols])
                else:
                    bgs[i] = small.copy()
                steps[i] = np.empty_like(bgs[i])
                prev_small[i] = _pose(small, bgs[i], contrast)
            prev[i] = cur
        times.append(fr.time_s)
        hists.append(hist)
        shifts.append(sh)
        if progress is not None and (k + 1) % 500 == 0:
            progress(k + 1)
    areas = np.array([m.area for m in masks], np.int64)
    if not times:
        return MotionTrace(
            np.zeros(0),
            tuple(m.animal for m in masks),
            areas,
            np.zeros((0, r, MAX_CUTOFF), np.int64),
            np.zeros((0, r)),
            scale,
        )
    counts = areas[None, :, None] - np.cumsum(np.stack(hists), axis=2, dtype=np.float64)
    counts[0] = 0  # frame 0 has no predecessor
    return MotionTrace(
        times_s=np.asarray(times, float),
        animals=tuple(m.animal for m in masks),
        areas=areas,
        counts=np.rint(counts).astype(np.int64),
        shift_px=np.stack(shifts),
        scale=scale,
    )


def _pooled_fraction_above(trace: MotionTrace) -> np.ndarray:
    """Fraction of all (frame, pixel) differences above each cutoff, frames 1.. pooled."""
    if trace.n_frames < 2:
        raise UsageError("at least 2 frames are needed to calibrate a noise cutoff")
    tot = trace.counts[1:].sum(axis=(0, 1)).astype(float)
    return tot / (trace.areas.sum() * (trace.n_frames - 1))


def cutoff_from_empty(trace: MotionTrace, *, percentile: float = 99.99, factor: float = 2.0) -> int:
    """Noise cutoff from an empty-arena clip: ``factor`` x the ``percentile`` of
    frame-to-frame change (ezTrack's rule: 2 x the 99.99th percentile)."""
    frac = _pooled_fraction_above(trace)
    q = 1 - percentile / 100
    # the percentile is the smallest level c whose exceedance fraction is <= q
    below = np.nonzero(frac <= q)[0]
    level = int(below[0]) if below.size else MAX_CUTOFF - 1
    return int(min(MAX_CUTOFF - 1, max(1, np.ceil(factor * max(level, 0.5)))))


def noise_scale(trace: MotionTrace, *, quantile: float = 0.6827) -> float:
    """The pixel-noise scale of a trace: the ``quantile`` (68.27 %, one standard deviation of
    a normal difference) of all frame-to-frame changes, frames 1.. pooled.

    The changes are whole luma levels, so the quantile is read off their exceedance
    curve with each level ``c`` standing for the true changes up to ``c + 1/2``
    (``P(|change| > c + 1/2)`` is the fraction changing by more than ``c``), joined by
    straight lines from ``P(|change| > 0) = 1``. The scale then moves smoothly with the
    noise: taking the first whole level whose exceedance is below 31.73 % instead made
    two videos with nearly the same noise (31.9 % and 30.4 % of pixels changing at all)
    get cutoffs of 5 and 3, and the threshold calibrated at one cutoff scored the other
    by 30 s or more.
    """
    frac = _pooled_fraction_above(trace)
    q = 1.0 - quantile
    x = np.concatenate([[0.0], np.arange(MAX_CUTOFF) + 0.5])
    surv = np.concatenate([[1.0], frac])
    below = np.nonzero(surv <= q)[0]
    if not below.size:
        return float(MAX_CUTOFF - 1)
    j = int(below[0])
    span = surv[j - 1] - surv[j]
    return float(x[j - 1] + (surv[j - 1] - q) / span * (x[j] - x[j - 1]))


#: the cutoff per noise scale: ezTrack's empty-clip rule (2 x the 99.99th percentile of the
#: changes) for normal noise, whose 99.99th percentile of |change| is 3.8906 scales
VIDEO_CUTOFF_K = 2 * 3.8906


def cutoff_from_video(trace: MotionTrace, *, k: float = VIDEO_CUTOFF_K, floor: int = 3) -> int:
    """Noise cutoff from the video itself: ``k`` x the pixel-noise scale
    (:func:`noise_scale`, at least 1/2 level), rounded up, at least ``floor``.

    The animal covers a small part of its region, so the pooled changes are mostly
    camera noise, and the default ``k`` gives the cutoff that ezTrack's rule
    (:func:`cutoff_from_empty`) would give on an empty clip with normal noise of
    that scale.
    """
    sigma = noise_scale(trace)
    return int(min(MAX_CUTOFF - 1, max(floor, np.ceil(k * max(sigma, 0.5) - 1e-9))))
