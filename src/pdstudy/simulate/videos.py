"""Synthetic forced-swim and tail-suspension videos with per-frame ground truth.

:func:`simulate_behavior_video` draws a session for each animal from a
semi-Markov behavioural model (bouts of immobility alternating with mobility;
immobility grows over the first minutes, as despair sets in; mobility is
vigorous - FST climbing, TST struggling - more often early), renders it and
writes an H.264 MP4 through PyAV, the library :func:`pdstudy.io.read_video`
decodes with. Several animals are filmed side by side, one cell each (its
region of interest).

What the picture holds, so that a scorer is tested on what fools pixel-change
scoring:

- FST: a bright water column with travelling ripples, lighting flicker and
  sensor noise; a dark mouse that, when immobile, breathes and *drifts* with
  the water (slow translation), when swimming moves with paddling limbs, when
  climbing beats its forelimbs against the wall.
- TST: a mouse hanging from a bar that, when immobile, breathes and *swings*
  like a pendulum after each struggle (decaying oscillation about the tape),
  and when struggling twists and flails.

By default the passive motion is gentle (a steady 8 px/s drift, a 0.2-rad
swing). :class:`PassiveMotion` makes it strong: an FST animal carried by the
current at a varying 20-60 px/s, bobbing on the waves, its body slowly
turning, seen through the ripples; a TST mouse left swinging 0.3-0.5 rad about
the tail's pivot after each struggle, decaying over seconds, its body twisting
about the tail and its front half lagging the swing. All of it is passive: the
truth calls it ``immobile``. With the default swimmer's large paddling limbs
even that drift changes fewer pixels than swimming; ``paddle=0.4`` (smaller
paws, as under a real surface) brings the two together, the case where plain
frame differencing mistakes drift for swimming.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from pdstudy.errors import UsageError
from pdstudy.video.rois import Roi

__all__ = [
    "BehaviorModel",
    "PassiveMotion",
    "SimulatedVideo",
    "simulate_behavior_video",
    "simulate_session",
    "write_boris",
]

STATE_NAMES = ("immobile", "active", "vigorous")


@dataclass(frozen=True)
class BehaviorModel:
    """Bout statistics of one animal (seconds)."""

    #: fraction of time immobile once despair has set in (after ``ramp_s``)
    immobile_fraction: float = 0.6
    #: mean duration of a mobility bout
    mobile_mean_s: float = 5.0
    #: immobility fraction at the start, relative to ``immobile_fraction``
    start_factor: float = 0.3
    ramp_s: float = 120.0
    #: probability that a mobility bout is vigorous at the start and at the end
    vigorous_start: float = 0.6
    vigorous_end: float = 0.15
    min_bout_s: float = 1.5


@dataclass(frozen=True)
class PassiveMotion:
    """Strong passive motion of an immobile animal (pixels at the video's resolution).

    FST, a floating animal:

    - *drift*: carried by the current at a speed that wanders (an
      Ornstein-Uhlenbeck process with time constant ``drift_tau_s``) within
      ``drift_px_s``, in a direction that turns slowly; it bounces off the
      cylinder's wall without turning its body;
    - *bobbing*: lifted and lowered by the waves, ``bob_px`` at ``bob_hz``;
    - *turning*: the floating body rotates slowly (an angular rate wandering
      with standard deviation ``turn_rad_s``, time constant 2 s);
    - *ripples over the animal*: the water's ripples are drawn over the
      animal too (it is seen through the surface), not only around it.

    TST, after each struggle:

    - *swing*: the pendulum (0.8 Hz, about the tail's pivot: a rotation, not
      a translation) is left, from where the struggle ended, with an
      amplitude drawn from ``swing_rad``, decaying as exp(-t / ``swing_decay_s``);
    - *twist*: the body turns about the tail (a torsional oscillation of
      amplitude up to ``twist_rad`` at ``twist_hz``, decaying alike), which
      narrows and widens its outline;
    - *lag*: the front half, hinged at the waist, lags the swing by a quarter
      period with ``lag`` x the swing's amplitude.

    The random draws come from their own generator (seeded from the video's
    seed), so the bouts are those of the same seed without passive motion.
    """

    drift_px_s: tuple[float, float] = (20.0, 60.0)
    drift_tau_s: float = 3.0
    turn_rad_s: float = 0.3
    bob_px: float = 1.5
    bob_hz: float = 0.8
    ripples_over_animal: bool = True
    swing_rad: tuple[float, float] = (0.3, 0.5)
    swing_decay_s: float = 5.0
    twist_rad: float = 0.6
    twist_hz: float = 0.5
    lag: float = 0.3

    def __post_init__(self) -> None:
        lo, hi = self.drift_px_s
        if not 0 <= lo <= hi:
            raise UsageError(
                f"drift_px_s must be (low, high) with 0 <= low <= high, got {lo}, {hi}"
            )
        lo, hi = self.swing_rad
        if not 0 <= lo <= hi < 1.2:
            raise UsageError(f"swing_rad must be (low, high) within [0, 1.2) rad, got {lo}, {hi}")
        if self.drift_tau_s <= 0 or self.swing_decay_s <= 0:
            raise UsageError("drift_tau_s and swing_decay_s must be > 0")


@dataclass(frozen=True)
class SimulatedVideo:
    """A written video and its truth.

    ``truth``: frame, time_s, animal, state (0 immobile, 1 active, 2 vigorous)
    and behavior (its name); ``bouts``: animal, behavior, start_s, stop_s.
    """

    path: Path
    test: str
    truth: pd.DataFrame
    bouts: pd.DataFrame
    rois: tuple[Roi, ...]
    fps: float
    width: int
    height: int
    models: dict[str, BehaviorModel] = field(default_factory=dict)

    def immobility_s(self, start_s: float, end_s: float) -> dict[str, float]:
        """True immobile time of each animal in ``[start_s, end_s)``."""
        return self.state_s("immobile", start_s, end_s)

    def state_s(self, behavior: str, start_s: float, end_s: float) -> dict[str, float]:
        """True time of each animal in a state (immobile, active, vigorous) in the window."""
        out = {}
        for animal, b in self.bouts.groupby("animal", sort=False):
            imm = b[b["behavior"] == behavior]
            lo = imm["start_s"].clip(start_s, end_s)
            hi = imm["stop_s"].clip(start_s, end_s)
            out[str(animal)] = float((hi - lo).sum())
        return out


def simulate_session(
    model: BehaviorModel, duration_s: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Bouts (behavior, start_s, stop_s) of one session from the semi-Markov model."""
    if not 0 <= model.immobile_fraction < 1:
        raise UsageError(f"immobile_fraction must be in [0, 1), got {model.immobile_fraction}")
    rows = []
    t = 0.0
    mobile = True
    while t < duration_s:
        ramp = min(1.0, t / model.ramp_s) if model.ramp_s > 0 else 1.0
        p = model.immobile_fraction * (model.start_factor + (1 - model.start_factor) * ramp)
        if mobile:
            mean = model.mobile_mean_s
            pv = model.vigorous_start + (model.vigorous_end - model.vigorous_start) * ramp
            name = "vigorous" if rng.random() < pv else "active"
        else:
            mean = model.mobile_mean_s * p / max(1 - p, 1e-6)
            name = "immobile"
        d = max(model.min_bout_s, float(rng.gamma(2.0, mean / 2.0)))
        if not mobile and p < 1e-6:
            d = 0.0
        if d > 0:
            rows.append((name, t, min(duration_s, t + d)))
        t += d
        mobile = not mobile
    return pd.DataFrame(rows, columns=["behavior", "start_s", "stop_s"])


def _state_per_frame(bouts: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    st = np.ones(times.size, np.int8)
    for b in bouts.itertuples(index=False):
        sel = (times >= b.start_s) & (times < b.stop_s)
        st[sel] = STATE_NAMES.index(b.behavior)
    return st


class _Water:
    """Ripples (two travelling waves) and flicker over a water mask, precomputed bases."""

    def __init__(self, h: int, w: int, rng: np.random.Generator) -> None:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        self.bases = []
        for _ in range(2):
            kx, ky = rng.uniform(0.15, 0.35), rng.uniform(0.1, 0.3)
            ph = kx * xx + ky * yy
            self.bases.append((np.sin(ph), np.cos(ph), rng.uniform(3.0, 6.0)))

    def at(self, t: float, amp: float) -> np.ndarray:
        out = 0.0
        for s, c, omega in self.bases:
            out = out + amp * (np.cos(omega * t) * s - np.sin(omega * t) * c)
        return np.asarray(out, np.float32)


def _ellipse(img, cx, cy, ax, ay, angle_deg, value) -> None:  # noqa: ANN001
    import cv2

    s = 16
    cv2.ellipse(
        img,
        (int(round(cx * s)), int(round(cy * s))),
        (max(1, int(round(ax * s))), max(1, int(round(ay * s)))),
        angle_deg,
        0,
        360,
        float(value),
        -1,
        cv2.LINE_AA,
        4,
    )


class _FstAnimal:
    def __init__(  # noqa: ANN001
        self, x0, y0, x1, y1, size, rng, drift, passive=None, prng=None, paddle=1.0
    ) -> None:
        self.passive: PassiveMotion | None = passive
        self.paddle = paddle
        self.prng = prng
        if passive is not None:
            self.speed = float(np.mean(passive.drift_px_s))
            self.turn = 0.0
            self.bob_phase = float(prng.uniform(0, 2 * np.pi))
        self.box = (x0, y0, x1, y1)
        self.drift = drift
        self.drift_dir = rng.uniform(0, 2 * np.pi)
        self.rng = rng
        self.size = size
        self.x = (x0 + x1) / 2 + rng.uniform(-5, 5)
        self.y = (y0 + y1) / 2 + rng.uniform(-5, 5)
        self.heading = rng.uniform(0, 2 * np.pi)
        self.vx = self.vy = 0.0

    def step(self, state: int, t: float, dt: float, img: np.ndarray) -> None:
        rng, s = self.rng, self.size
        x0, y0, x1, y1 = self.box
        pm = self.passive
        if state == 0 and pm is not None:
            self._float(pm, dt)
        elif state == 0:  # floating: carried by the water, in a slowly turning direction
            self.drift_dir += rng.normal(0, 0.05)
            self.vx = self.drift * np.cos(self.drift_dir)
            self.vy = self.drift * np.sin(self.drift_dir)
        elif state == 1:  # swimming
            self.heading += rng.normal(0, 0.15)
            self.vx, self.vy = 2.5 * s * np.cos(self.heading), 2.5 * s * np.sin(self.heading)
        else:  # climbing at the wall
            self.vx, self.vy = rng.normal(0, 0.8 * s), rng.normal(0, 0.8 * s)
        self.x += self.vx * dt
        self.y += self.vy * dt
        m = 1.4 * s
        turns = state != 0 or pm is None  # a floating body bounces off without turning
        if not x0 + m <= self.x <= x1 - m:
            self.x = float(np.clip(self.x, x0 + m, x1 - m))
            self.vx = -self.vx
            self.heading = np.pi - self.heading if turns else self.heading
            self.drift_dir = np.pi - self.drift_dir
        if not y0 + m <= self.y <= y1 - m:
            self.y = float(np.clip(self.y, y0 + m, y1 - m))
            self.vy = -self.vy
            self.heading = -self.heading if turns else self.heading
            self.drift_dir = -self.drift_dir
        ang = np.degrees(np.arctan2(self.vy, self.vx)) if state else np.degrees(self.heading)
        if pm is not None and state != 0:  # after floating, swimming sets off where it points
            self.heading = float(np.arctan2(self.vy, self.vx))
        breath = 1 + 0.02 * np.sin(2 * np.pi * 3.0 * t)
        y_drawn = self.y
        if pm is not None:  # bobbing on the waves
            y_drawn = self.y + pm.bob_px * np.sin(2 * np.pi * pm.bob_hz * t + self.bob_phase)
        self._draw(state, t, ang, breath, y_drawn, img)

    def _float(self, pm: PassiveMotion, dt: float) -> None:
        """Carried by the current: the speed wanders within its range, the direction and the
        body's heading turn slowly."""
        prng = self.prng
        assert prng is not None
        lo, hi = pm.drift_px_s
        mean, sd = (lo + hi) / 2, (hi - lo) / 4
        a = dt / pm.drift_tau_s
        self.speed += (mean - self.speed) * a + sd * np.sqrt(2 * a) * prng.normal()
        self.speed = float(np.clip(self.speed, lo, hi))
        self.drift_dir += prng.normal(0, 0.05)
        b = dt / 2.0
        self.turn += -self.turn * b + pm.turn_rad_s * np.sqrt(2 * b) * prng.normal()
        self.heading += self.turn * dt
        self.vx = self.speed * np.cos(self.drift_dir)
        self.vy = self.speed * np.sin(self.drift_dir)

    def _draw(self, state, t, ang, breath, y, img) -> None:  # noqa: ANN001
        s = self.size
        a = np.radians(ang)
        ca, sa = np.cos(a), np.sin(a)
        if state >= 1:  # limbs: paddling (active) or beating forelimbs (vigorous)
            f, amp = (5.0, 0.35 * s * self.paddle) if state == 1 else (4.0, 0.7 * s)
            limb = self.paddle if state == 1 else 1.0
            for k, (u, v) in enumerate(((0.6, 0.9), (0.6, -0.9), (-0.6, 0.9), (-0.6, -0.9))):
                osc = amp * np.sin(2 * np.pi * f * t + k * np.pi / 2)
                lu = u * s + osc * (2.0 if state == 2 and u > 0 else 1.0)
                lv = v * s
                _ellipse(
                    img,
                    self.x + lu * ca - lv * sa,
                    y + lu * sa + lv * ca,
                    0.35 * s * limb,
                    0.18 * s * limb,
                    ang,
                    45,
                )
        _ellipse(img, self.x, y, 1.1 * s * breath, 0.6 * s * breath, ang, 40)
        _ellipse(img, self.x + 1.1 * s * ca, y + 1.1 * s * sa, 0.45 * s, 0.4 * s, ang, 38)


class _TstAnimal:
    def __init__(self, px, py, size, rng, swing, passive=None, prng=None) -> None:  # noqa: ANN001
        self.passive: PassiveMotion | None = passive
        self.prng = prng
        self.was_mobile = False
        self.torsion = 0.0  # amplitude (rad) of the twist about the tail
        self.since = 0.0  # seconds since the last struggle ended
        self.px, self.py = px, py
        self.swing = swing
        self.size = size
        self.rng = rng
        self.theta = 0.0
        self.omega = 0.0
        self.twist = 0.0

    def step(self, state: int, t: float, dt: float, img: np.ndarray) -> None:
        s, rng = self.size, self.rng
        length = 2.6 * s  # pivot to body centre
        g_over_l = (2 * np.pi * 0.8) ** 2  # a 0.8-Hz pendulum
        pm = self.passive
        width = 1.0  # the outline's width relative to the body's (the twist narrows it)
        if state == 0 and pm is not None:
            width = self._passive_swing(pm, t, dt, g_over_l)
        elif state == 0:
            self.omega += -g_over_l * self.theta * dt - 0.25 * self.omega * dt
            self.theta += self.omega * dt
            self.twist *= 0.9
        else:  # struggling pumps the swing and twists the body
            kick = 6.0 if state == 2 else 3.0
            self.omega += (-g_over_l * self.theta + rng.normal(0, kick)) * dt
            self.omega = float(np.clip(self.omega, -1.5, 1.5))
            self.theta += self.omega * dt
            if abs(self.theta) > 0.35:
                self.theta, self.omega = float(np.sign(self.theta) * 0.35), -self.omega
            if self.swing > 0 and abs(self.theta) < 0.5 * self.swing:  # leaves it swinging
                self.theta = float(np.sign(self.theta or 1.0) * self.swing)
            self.twist = (40 if state == 2 else 25) * np.sin(
                2 * np.pi * (3.0 if state == 2 else 2.0) * t
            )
        self.was_mobile = state != 0
        th = self.theta
        cx, cy = self.px + length * np.sin(th), self.py + length * np.cos(th)
        ang = 90 - np.degrees(th)
        breath = 1 + 0.02 * np.sin(2 * np.pi * 3.0 * t)
        import cv2

        cv2.line(
            img, (int(self.px), int(self.py - 4)), (int(round(self.px)), int(round(self.py))), 90, 1
        )
        if state >= 1:
            f, amp = (4.0, 0.5 * s) if state == 1 else (5.0, 0.9 * s)
            for k, side in enumerate((1, -1)):
                osc = amp * np.sin(2 * np.pi * f * t + k * np.pi)
                _ellipse(
                    img,
                    cx + side * 0.9 * s + osc * 0.5,
                    cy + 1.0 * s + osc,
                    0.5 * s,
                    0.2 * s,
                    ang + self.twist,
                    50,
                )
        # hind body rigid with the swing; the front bends at the waist when struggling
        _ellipse(img, cx, cy, 1.0 * s * breath, 0.55 * s * breath * width, ang, 40)
        bend = th + np.radians(self.twist)
        jx, jy = (
            self.px + (length + 0.8 * s) * np.sin(th),
            self.py + (length + 0.8 * s) * np.cos(th),
        )
        fx, fy = jx + 0.9 * s * np.sin(bend), jy + 0.9 * s * np.cos(bend)
        _ellipse(img, fx, fy, 0.9 * s * breath, 0.5 * s * breath * width, 90 - np.degrees(bend), 40)
        hx, hy = jx + 1.9 * s * np.sin(bend), jy + 1.9 * s * np.cos(bend)
        _ellipse(img, hx, hy, 0.5 * s, 0.45 * s, 90 - np.degrees(bend), 38)

    def _passive_swing(self, pm: PassiveMotion, t: float, dt: float, g_over_l: float) -> float:
        """One frame of the swing a struggle left behind; returns the outline's width factor."""
        prng = self.prng
        assert prng is not None
        w = np.sqrt(g_over_l)
        if self.was_mobile:  # the struggle just ended: it leaves a swing of random amplitude
            amp = prng.uniform(*pm.swing_rad)
            # from where the body is (no jump), with the speed that gives that amplitude
            self.theta = float(np.clip(self.theta, -amp, amp))
            speed = w * np.sqrt(max(amp**2 - self.theta**2, 0.0))
            self.omega = float(speed if self.omega >= 0 else -speed)
            self.torsion = float(pm.twist_rad * prng.uniform(0.5, 1.0))
            self.since = 0.0
            self.was_mobile = False
        # amplitude decaying as exp(-t / swing_decay_s): damping 2 / swing_decay_s
        self.omega += (-g_over_l * self.theta - 2.0 / pm.swing_decay_s * self.omega) * dt
        self.theta += self.omega * dt
        self.since += dt
        # the front half lags the swing by a quarter period (it bends at the waist); the
        # struggle's bend relaxes into it within a few frames
        lag = float(np.degrees(-pm.lag * self.omega / w))
        self.twist = lag + 0.9 * (self.twist - lag)
        phi = (
            self.torsion
            * np.exp(-self.since / pm.swing_decay_s)
            * np.sin(2 * np.pi * pm.twist_hz * self.since)
        )
        # an oval cross-section (depth 0.7 x width) turning about the tail
        return float(np.sqrt(np.cos(phi) ** 2 + (0.7 * np.sin(phi)) ** 2))


def simulate_behavior_video(
    path: str | PathLike[str],
    *,
    test: str = "fst",
    duration_s: float = 360.0,
    fps: float = 30.0,
    width: int = 320,
    height: int = 240,
    animals: int | list[str] = 1,
    models: dict[str, BehaviorModel] | list[BehaviorModel] | BehaviorModel | None = None,
    seed: int = 0,
    noise_sd: float = 2.0,
    ripple_amp: float = 4.0,
    flicker: float = 0.01,
    drop_fraction: float = 0.0,
    crf: int = 20,
    drift_px_s: float = 8.0,
    swing_rad: float = 0.2,
    passive: PassiveMotion | None = None,
    paddle: float = 1.0,
    noise_frames: int | None = None,
) -> SimulatedVideo:
    """Write a synthetic FST or TST video (H.264 MP4) and return it with its truth.

    Parameters
    ----------
    animals
        How many animals side by side (named ``m1``, ``m2``...), or their names.
    models
        The behavioural model of each animal (default :class:`BehaviorModel`).
    drift_px_s
        FST: speed at which an immobile animal is carried by the water.
    swing_rad
        TST: amplitude of the pendulum swing a struggle leaves behind.
    passive
        Strong, realistic passive motion (:class:`PassiveMotion`) instead of
        the gentle ``drift_px_s`` and ``swing_rad``; None (the default) leaves
        the video as without it.
    paddle
        FST: size and stroke of a swimming animal's paddling limbs, relative to
        the default's (whose limbs are a quarter of the body long and beat
        their own length). Real paws are smaller and paddle under the surface:
        0.4 makes swimming change about as many pixels as a fast drift, the
        case where only motion relative to the silhouette tells them apart.
    drop_fraction
        Fraction of frames left out at random (their timestamps skip: a
        variable-frame-rate recording with dropped frames).
    noise_frames
        None: fresh sensor noise in every frame. A number: that many frames of
        noise drawn once and repeated in turn, which renders long videos faster;
        consecutive frames still differ by independent noise of the same size.
    """
    import av

    if test not in ("fst", "tst"):
        raise UsageError(f"test must be fst or tst, got {test!r}")
    if not paddle > 0:
        raise UsageError(f"paddle must be > 0, got {paddle}")
    if noise_frames is not None and noise_frames < 2:
        raise UsageError(f"noise_frames must be None or at least 2, got {noise_frames}")
    rng = np.random.default_rng(seed)
    prng = np.random.default_rng([seed, 1]) if passive is not None else None
    names = [f"m{i + 1}" for i in range(animals)] if isinstance(animals, int) else list(animals)
    if isinstance(models, BehaviorModel) or models is None:
        mdl = {n: models or BehaviorModel() for n in names}
    elif isinstance(models, list):
        mdl = dict(zip(names, models, strict=True))
    else:
        mdl = dict(models)
    n_frames = int(round(duration_s * fps))
    times = np.arange(n_frames) / fps
    cell_w = width // len(names)
    rois = tuple(Roi.rect(n, i * cell_w, 0, cell_w, height) for i, n in enumerate(names))
    size = min(cell_w, height) / 16.0
    bouts, states = [], []
    actors: list[_FstAnimal | _TstAnimal] = []
    for i, n in enumerate(names):
        b = simulate_session(mdl[n], duration_s, rng)
        b.insert(0, "animal", n)
        bouts.append(b)
        states.append(_state_per_frame(b, times))
        x0 = i * cell_w
        if test == "fst":
            actors.append(
                _FstAnimal(
                    x0 + 0.12 * cell_w,
                    0.3 * height,
                    x0 + 0.88 * cell_w,
                    0.95 * height,
                    size,
                    rng,
                    drift_px_s,
                    passive,
                    prng,
                    paddle,
                )
            )
        else:
            actors.append(
                _TstAnimal(x0 + cell_w / 2, 0.12 * height, size, rng, swing_rad, passive, prng)
            )
    # the scene without animals
    bg = np.full((height, width), 70.0, np.float32)
    water = np.zeros((height, width), bool)
    for i in range(len(names)):
        x0 = i * cell_w
        if test == "fst":
            a, b_ = int(x0 + 0.1 * cell_w), int(x0 + 0.9 * cell_w)
            bg[int(0.25 * height) :, a:b_] = 175
            water[int(0.28 * height) :, a:b_] = True
            bg[:, a - 2 : a] = 110
            bg[:, b_ : b_ + 2] = 110
        else:
            bg[:, x0 : x0 + cell_w] = 160
            bg[int(0.1 * height) - 3 : int(0.1 * height), x0 : x0 + cell_w] = 60
            bg[:, x0 : x0 + 1] = 120
    ripples = _Water(height, width, rng) if test == "fst" else None
    keep = rng.random(n_frames) >= drop_fraction
    keep[0] = True
    bank = (
        None
        if noise_frames is None
        else rng.normal(0, noise_sd, (noise_frames, height, width)).astype(np.float32)
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    container = av.open(str(path), mode="w")
    try:
        stream = container.add_stream("libx264", rate=int(round(fps)))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = __import__("fractions").Fraction(1, int(round(fps)))
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        dt = 1.0 / fps
        for f in range(n_frames):
            t = times[f]
            img = bg.copy()
            over = passive is not None and passive.ripples_over_animal
            if ripples is not None and ripple_amp > 0 and not over:
                img[water] += ripples.at(t, ripple_amp)[water]
            for i in range(len(names)):
                actors[i].step(int(states[i][f]), t, dt, img)
            if ripples is not None and ripple_amp > 0 and over:  # seen through the surface
                img[water] += ripples.at(t, ripple_amp)[water]
            gain = 1 + flicker * np.sin(2 * np.pi * 0.7 * t) + rng.normal(0, flicker / 3)
            if bank is None:
                img = img * gain + rng.normal(0, noise_sd, img.shape).astype(np.float32)
            else:
                img *= np.float32(gain)
                img += bank[f % len(bank)]
            if not keep[f]:
                continue
            frame = av.VideoFrame.from_ndarray(np.clip(img, 0, 255).astype(np.uint8), format="gray")
            frame.pts = f
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    finally:
        container.close()
    truth = pd.concat(
        [
            pd.DataFrame(
                {
                    "frame": np.arange(n_frames)[keep],
                    "time_s": times[keep],
                    "animal": n,
                    "state": states[i][keep],
                    "behavior": np.asarray(STATE_NAMES, dtype=object)[states[i][keep]],
                }
            )
            for i, n in enumerate(names)
        ],
        ignore_index=True,
    )
    return SimulatedVideo(
        path=path,
        test=test,
        truth=truth,
        bouts=pd.concat(bouts, ignore_index=True),
        rois=rois,
        fps=fps,
        width=width,
        height=height,
        models=mdl,
    )


#: how a human scorer's BORIS ethogram names the simulated states, per test
_BORIS_NAMES = {
    "fst": {"immobile": "Immobility", "active": "Swimming", "vigorous": "Climbing"},
    "tst": {"immobile": "Immobility", "active": "Struggling", "vigorous": "Struggling"},
}


def write_boris(
    bouts: pd.DataFrame,
    path: str | PathLike[str],
    *,
    media_file: str,
    test: str = "fst",
    kind: str = "aggregated",
    observation_id: str | None = None,
    media_duration_s: float | None = None,
    fps: float = 30.0,
) -> Path:
    """Write bouts (``animal``, ``behavior``, ``start_s``, ``stop_s``) as a human scorer's
    BORIS export of one observation of ``media_file``: ``"aggregated"`` (one row per state
    bout, the tab-separated *Export aggregated events* layout) or ``"events"`` (the tabular
    *Export events* layout, a START and a STOP row per bout). Each animal is a subject;
    behaviours get an ethogram's names (Immobility, Swimming/Struggling, Climbing)."""
    if kind not in ("aggregated", "events"):
        raise UsageError(f"kind must be aggregated or events, got {kind!r}")
    if test not in _BORIS_NAMES:
        raise UsageError(f"test must be fst or tst, got {test!r}")
    names = _BORIS_NAMES[test]
    obs = observation_id or Path(media_file).stem
    duration = float(bouts["stop_s"].max()) if media_duration_s is None else media_duration_s
    b = bouts.sort_values(["animal", "start_s"], kind="stable")
    common = {
        "Observation id": obs,
        "Observation date": "2026-12-01 10:00:00",
        "Description": "",
        "Observation type": "Media file(s)",
        "Source": f"player #1:{media_file}",
        "Time offset (s)": 0.0,
        "Media duration (s)": round(duration, 3),
        "FPS": fps,
    }
    rows: list[dict[str, object]] = []
    for animal, behavior, start_s, stop_s in zip(
        b["animal"].astype(str).tolist(),
        b["behavior"].astype(str).tolist(),
        b["start_s"].astype(float).tolist(),
        b["stop_s"].astype(float).tolist(),
        strict=True,
    ):
        beh = names.get(behavior, behavior)
        if kind == "aggregated":
            rows.append(
                {
                    **common,
                    "Subject": animal,
                    "Behavior": beh,
                    "Behavioral category": "",
                    "Behavior type": "STATE",
                    "Start (s)": round(start_s, 3),
                    "Stop (s)": round(stop_s, 3),
                    "Duration (s)": round(stop_s - start_s, 3),
                    "Media file name": f"/data/videos/{media_file}",
                    "Image index start": int(round(start_s * fps)),
                    "Image index stop": int(round(stop_s * fps)),
                    "Comment start": "",
                    "Comment stop": "",
                }
            )
        else:
            for t, status in ((start_s, "START"), (stop_s, "STOP")):
                rows.append(
                    {
                        **common,
                        "Subject": animal,
                        "Behavior": beh,
                        "Behavioral category": "",
                        "Modifiers": "",
                        "Behavior type": "STATE",
                        "Time": round(t, 3),
                        "Media file path": f"/data/videos/{media_file}",
                        "Image index": int(round(t * fps)),
                        "Comment": "",
                        "Status": status,
                    }
                )
    table = pd.DataFrame(rows)
    if kind == "events":  # BORIS lists the events of an observation in time order
        table = table.sort_values(["Time", "Status"], kind="stable", ascending=[True, False])
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, sep="\t" if kind == "aggregated" else ",", index=False)
    return out
