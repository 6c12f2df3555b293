"""Video files: :func:`read_video` opens one and streams its frames as luma arrays.

Formats live in :data:`VIDEO_FORMATS` (a :class:`~pdstudy.io.registry.FormatRegistry`):
MP4/MOV (ISO base media), AVI (RIFF), WMV/ASF, MPEG program/transport streams
and Matroska, sniffed from the first bytes of the file, not from its name.
All are decoded by FFmpeg through PyAV (measured faster here than OpenCV's
``VideoCapture.read`` + ``cvtColor`` for luma; see ``benchmarks/bench_video.py``).

Decoding keeps the luma (Y) plane only, read straight from the decoder's
buffer without colour conversion, optionally reduced by an integer factor
(area averaging, which also smooths pixel noise), with FFmpeg's frame and
slice threads; optionally without the in-loop deblocking filter
(``loop_filter=False``: about a sixth less decoding work, but the blocking
artefacts it leaves change scores, see :func:`pdstudy.video.score.trace_video`). Frames can be decoded
from one key frame to another (:meth:`Video.frames` ``start_s``/``stop_s``),
so that one video can be decoded in segments at once. Every frame carries its own presentation time in seconds from
the stream's timestamps, so variable frame rates are timed right; a frame
that cannot be decoded is skipped and reported (its index and time) in
:attr:`Video.problems`, and a missing timestamp is taken from the previous
frame plus the nominal frame interval and reported.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np

from pdstudy.errors import InputFileError, UsageError
from pdstudy.io.registry import Format, FormatRegistry
from pdstudy.types import task_threads

__all__ = [
    "VIDEO_FORMATS",
    "Frame",
    "Video",
    "VideoInfo",
    "KeyframeScan",
    "keyframes",
    "scan_keyframes",
    "list_video_formats",
    "read_video",
]

VIDEO_FORMATS = FormatRegistry("video", hint="pass format= to force one; see list_video_formats()")

_HEAD_BYTES = 64


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video stream."""

    path: str
    format: str
    codec: str
    width: int
    height: int
    #: frames the container declares (0 when it does not say)
    declared_frames: int
    #: nominal frame rate (average rate of the stream), frames per second
    nominal_fps: float
    #: duration the container declares, seconds (NaN when unknown)
    declared_duration_s: float


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index among decoded frames, time (s) and luma array."""

    index: int
    time_s: float
    luma: np.ndarray


@dataclass
class Video:
    """An opened video: :attr:`info` and :meth:`frames` (decoded lazily, once per call).

    ``problems`` collects ``(where, message)`` for frames that could not be decoded
    or had no timestamp, filled while :meth:`frames` runs.
    """

    info: VideoInfo
    scale: int = 1
    threads: bool = True
    #: decode with H.264/HEVC's in-loop deblocking filter (False: skip it, faster)
    loop_filter: bool = True
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return Path(self.info.path)

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the luma arrays :meth:`frames` yields."""
        return self.info.height // self.scale, self.info.width // self.scale

    def frames(
        self, start_s: float | None = None, stop_s: float | None = None, first_index: int = 0
    ) -> Iterator[Frame]:
        """Decode the luma frames in presentation order.

        With ``threads`` the decoder runs in a background thread (PyAV releases
        the GIL while FFmpeg decodes, so decoding overlaps the caller's work) as
        well as with FFmpeg's own frame threads.

        ``start_s`` (a key frame's time, :func:`scan_keyframes`) starts decoding
        there instead of at the first frame, and ``first_index`` is the index of
        that frame; ``stop_s`` ends with the first frame at or after it
        (included), so that consecutive segments share one frame.
        """
        self.problems.clear()
        if not self.threads:
            yield from _decode(self, start_s, stop_s, first_index)
            return
        q: queue.Queue[object] = queue.Queue(maxsize=64)
        stop = threading.Event()
        _END = object()

        def produce() -> None:
            try:
                for fr in _decode(self, start_s, stop_s, first_index):
                    if stop.is_set():
                        return
                    q.put(fr)
            except BaseException as exc:  # handed to the consumer
                q.put(exc)
            finally:
                q.put(_END)

        t = threading.Thread(target=produce, name="pdstudy-decode", daemon=True)
        t.start()
        try:
            while True:
                item = q.get()
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, Frame)
                yield item
        finally:
            stop.set()
            while t.is_alive():
                try:
                    q.get_nowait()
                except queue.Empty:
                    t.join(0.01)


@dataclass(frozen=True)
class KeyframeScan:
    """One pass over a video's packets: its key frames (decoded, at most ``limit``,
    spread evenly) and where every key frame is: ``positions`` holds
    (index among all frames in presentation order, time in seconds) pairs."""

    frames: list[Frame]
    positions: list[tuple[int, float]]
    n_packets: int


def scan_keyframes(video: Video, limit: int = 60) -> KeyframeScan:
    """Demux the whole video, decoding key frames only (cheap: FFmpeg skips the others);
    ``limit=0`` decodes nothing (the positions only)."""
    import av

    container = _open(video.path)
    out: list[Frame] = []
    key_pts: list[int] = []
    all_pts: list[int] = []
    try:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        if video.threads and task_threads() > 1:
            stream.thread_type = "AUTO"  # key frames decoded in parallel
            stream.codec_context.thread_count = task_threads()
        tb = float(stream.time_base) if stream.time_base else 0.0
        start = stream.start_time or 0
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                if packet.pts is not None:
                    all_pts.append(packet.pts)
                    if packet.is_keyframe:
                        key_pts.append(packet.pts)
                if limit == 0 or not packet.is_keyframe:
                    continue  # the decoder would skip it (NONKEY)
                for fr in packet.decode():
                    plane = fr.planes[0]
                    y = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
                    t = (fr.pts - start) * tb if fr.pts is not None else float("nan")
                    out.append(Frame(len(out), float(t), _reduce(y[:, : plane.width], video.scale)))
            for fr in stream.decode(None) if limit else ():
                plane = fr.planes[0]
                y = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
                t = (fr.pts - start) * tb if fr.pts is not None else float("nan")
                out.append(Frame(len(out), float(t), _reduce(y[:, : plane.width], video.scale)))
        except av.error.FFmpegError:
            pass  # a damaged tail: the key frames read so far serve
    finally:
        container.close()
    if len(out) > limit:
        idx = np.linspace(0, len(out) - 1, limit).round().astype(int)
        out = [out[i] for i in idx]
    order = np.sort(np.asarray(all_pts, np.int64))
    positions = [
        (int(np.searchsorted(order, k)), float((k - start) * tb)) for k in sorted(set(key_pts))
    ]
    return KeyframeScan(out, positions, len(all_pts))


def keyframes(video: Video, limit: int = 60) -> list[Frame]:
    """The video's key frames only (cheap: FFmpeg skips the others), at most ``limit``,
    spread evenly; for a background image."""
    return scan_keyframes(video, limit).frames


def _open(path: Path):  # noqa: ANN202 - av container
    import av

    try:
        return av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise InputFileError(f"cannot open the video: {exc}", path) from exc


def _probe(path: Path, fmt: str) -> VideoInfo:
    if path.stat().st_size == 0:
        raise InputFileError("empty file (0 bytes): not a video", path)
    container = _open(path)
    try:
        if not container.streams.video:
            raise InputFileError("the file holds no video stream", path)
        s = container.streams.video[0]
        rate = float(s.average_rate) if s.average_rate else float("nan")
        if s.duration is not None and s.time_base is not None:
            dur = float(s.duration * s.time_base)
        elif container.duration is not None:
            dur = container.duration / 1e6
        else:
            dur = float("nan")
        return VideoInfo(
            path=str(path),
            format=fmt,
            codec=s.codec_context.name,
            width=int(s.codec_context.width),
            height=int(s.codec_context.height),
            declared_frames=int(s.frames or 0),
            nominal_fps=rate,
            declared_duration_s=dur,
        )
    finally:
        container.close()


def _reduce(y: np.ndarray, scale: int) -> np.ndarray:
    """Area averaging to ``(h // scale, w // scale)``; a power of two in halvings, each
    OpenCV's fast 2 x 2 path (a tenth of the time of one general area resampling)."""
    if scale == 1:
        return np.ascontiguousarray(y)
    import cv2

    if scale & (scale - 1) == 0:
        while scale > 1:
            h, w = y.shape
            y = cv2.resize(
                y[: h - h % 2, : w - w % 2], (w // 2, h // 2), interpolation=cv2.INTER_AREA
            )
            scale //= 2
        return y
    h, w = y.shape
    return cv2.resize(
        y[: h - h % scale, : w - w % scale], (w // scale, h // scale), interpolation=cv2.INTER_AREA
    )


def _decode(
    video: Video, start_s: float | None = None, stop_s: float | None = None, first_index: int = 0
) -> Iterator[Frame]:
    import av

    path = video.path
    info = video.info
    container = _open(path)
    try:
        stream = container.streams.video[0]
        if video.threads:
            stream.thread_type = "AUTO"
            stream.codec_context.thread_count = task_threads()
        if not video.loop_filter:
            stream.codec_context.options = {"skip_loop_filter": "all"}
        tb = float(stream.time_base) if stream.time_base else 0.0
        start = stream.start_time or 0
        dt = 1.0 / info.nominal_fps if np.isfinite(info.nominal_fps) else 0.0
        index = first_index
        last_t = -dt if start_s is None else start_s - dt
        # half a frame interval (or 1 ms) of tolerance on the segment bounds
        eps = 0.5 * dt if dt > 0 else 1e-3
        if start_s is not None and start_s > 0 and tb > 0:
            try:
                container.seek(start + int(round(start_s / tb)), stream=stream, backward=True)
            except av.error.FFmpegError as exc:
                raise InputFileError(f"cannot seek to {start_s:.3f} s: {exc}", path) from exc
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                video.problems.append(
                    (f"after frame {index}", f"unreadable data, decoding stopped: {exc}")
                )
                break
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as exc:
                t = last_t + dt
                video.problems.append(
                    (f"frame near {t:.3f} s", f"undecodable packet skipped: {exc}")
                )
                continue
            for fr in decoded:
                if fr.pts is None:
                    t = last_t + dt
                    video.problems.append((f"frame {index}", "no timestamp; taken from the rate"))
                else:
                    t = (fr.pts - start) * tb
                if start_s is not None and t < start_s - eps:
                    continue  # before the segment (leading frames of an open GOP)
                plane = fr.planes[0]
                y = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
                luma = _reduce(y[:, : plane.width], video.scale)
                yield Frame(index, float(t), luma)
                last_t = float(t)
                index += 1
                if stop_s is not None and t >= stop_s - eps:
                    return
    finally:
        container.close()


# --- formats: sniffed from the first bytes --------------------------------------------------


def _sniff_isobmff(path: Path, head: bytes) -> bool:
    return len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")


def _sniff_avi(path: Path, head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"AVI "


_ASF_GUID = bytes.fromhex("3026B2758E66CF11A6D900AA0062CE6C")


def _sniff_asf(path: Path, head: bytes) -> bool:
    return head[:16] == _ASF_GUID


def _sniff_mpeg(path: Path, head: bytes) -> bool:
    ps = head[:4] == b"\x00\x00\x01\xba" or head[:4] == b"\x00\x00\x01\xb3"
    ts = len(head) > 0 and head[0] == 0x47 and (len(head) < 189 or head[188] == 0x47)
    return ps or (ts and path.suffix.lower() in (".ts", ".mts", ".m2ts", ".mpg", ".mpeg"))


def _sniff_mkv(path: Path, head: bytes) -> bool:
    return head[:4] == b"\x1a\x45\xdf\xa3"


def _reader(name: str):  # noqa: ANN202
    def read(
        path: Path, *, scale: int = 1, threads: bool = True, loop_filter: bool = True
    ) -> Video:
        return Video(
            _probe(Path(path), name), scale=scale, threads=threads, loop_filter=loop_filter
        )

    return read


for _name, _desc, _sniff, _ext, _prio in (
    (
        "isobmff",
        "MP4 / MOV / M4V (ISO base media file)",
        _sniff_isobmff,
        (".mp4", ".mov", ".m4v"),
        10,
    ),
    ("avi", "AVI (RIFF)", _sniff_avi, (".avi",), 10),
    ("asf", "WMV / ASF (Windows Media)", _sniff_asf, (".wmv", ".asf"), 10),
    ("mpeg", "MPEG program or transport stream", _sniff_mpeg, (".mpg", ".mpeg", ".ts"), 20),
    ("matroska", "Matroska / WebM", _sniff_mkv, (".mkv", ".webm"), 20),
):
    VIDEO_FORMATS.register(Format(_name, _desc, _sniff, _reader(_name), _ext, _prio))


def list_video_formats():  # noqa: ANN201 - pandas frame
    """The video formats pdstudy reads (name, description, extensions, writers)."""
    return VIDEO_FORMATS.table()


def read_video(
    path: str | PathLike[str],
    *,
    scale: int = 1,
    threads: bool = True,
    loop_filter: bool = True,
    format: str = "auto",
) -> Video:
    """Open a video file; frames are decoded when :meth:`Video.frames` is iterated.

    Parameters
    ----------
    path
        The video file.
    scale
        Integer reduction of the luma frames (2: half width and height, by
        area averaging).
    threads
        Decode in a background thread and with FFmpeg's threads.
    loop_filter
        False: skip the in-loop deblocking filter of H.264/HEVC (faster; the
        frames differ from the encoder's by a few luma levels at block edges).
    format
        ``"auto"`` (sniff the content) or a name of :data:`VIDEO_FORMATS`.

    Raises
    ------
    InputFileError
        Missing, empty or undecodable file (the message names it).
    UnknownFormatError
        The content is not a video container pdstudy knows.
    """
    p = Path(path)
    if not isinstance(scale, int) or scale < 1:
        raise UsageError(f"scale must be a positive integer, got {scale!r}")
    if not p.is_file():
        raise InputFileError("no such video file", p)
    if p.stat().st_size == 0:
        raise InputFileError("empty file (0 bytes): not a video", p)
    if format == "auto":
        with p.open("rb") as fh:
            head = fh.read(_HEAD_BYTES * 4)
        fmt = VIDEO_FORMATS.sniff(p, head)
    else:
        fmt = VIDEO_FORMATS.get(format)
    video: Video = fmt.read(p, scale=scale, threads=threads, loop_filter=loop_filter)
    return video
