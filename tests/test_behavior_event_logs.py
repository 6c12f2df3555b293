"""Manual scores: bout logs, BORIS exports, time-sampling sheets, human totals."""

from __future__ import annotations

import pytest

from pdstudy.errors import InputFileError, UnknownFormatError
from pdstudy.io.event_logs import EVENT_LOG_FORMATS, read_event_log
from pdstudy.simulate.videos import BehaviorModel, simulate_session
from pdstudy.video.immobility import scores_from_bouts


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_bout_csv_scores_like_video_scoring(tmp_path):
    p = _write(
        tmp_path,
        "bouts.csv",
        "animal,behavior,start_s,stop_s\n"
        "m1,swimming,0,100\nm1,immobility,100,150\nm1,climbing,150,200\nm1,immobile,200,360\n",
    )
    log = read_event_log(p)
    assert (log.format, log.kind) == ("bouts_csv", "bouts")
    assert list(log.table["behavior"]) == ["active", "immobile", "vigorous", "immobile"]
    s = scores_from_bouts(log.table, 120.0, 360.0)
    assert s.immobility_s == pytest.approx(30 + 160)
    assert s.bouts == 2 and s.latency_s == pytest.approx(100.0)
    assert s.vigorous_s == pytest.approx(50.0)
    assert s.per_minute_s == pytest.approx((30.0, 40.0, 60.0, 60.0))


def test_overlapping_bouts_name_the_rows(tmp_path):
    p = _write(
        tmp_path,
        "overlap.csv",
        "animal,behavior,start_s,stop_s\nm1,immobile,0,10\nm2,immobile,5,8\nm1,swimming,9,20\n",
    )
    with pytest.raises(
        InputFileError, match=r"overlap\.csv, row 4: overlapping bouts of animal 'm1'"
    ):
        read_event_log(p)


def test_stop_before_start(tmp_path):
    p = _write(tmp_path, "back.csv", "animal,behavior,start_s,stop_s\nm1,immobile,10,5\n")
    with pytest.raises(InputFileError, match="row 2: stop_s is before start_s"):
        read_event_log(p)


def test_boris_aggregated_and_events(tmp_path):
    agg = _write(
        tmp_path,
        "boris_agg.tsv",
        "Observation id\tSubject\tBehavior\tBehavior type\tStart (s)\tStop (s)\tDuration (s)\n"
        "fst_01\tm1\tImmobility\tSTATE\t130.0\t150.5\t20.5\n"
        "fst_01\tm1\tSwimming\tSTATE\t150.5\t170.0\t19.5\n"
        "fst_01\tm2\tImmobility\tSTATE\t125.0\t200.0\t75.0\n",
    )
    log = read_event_log(agg)
    assert log.format == "boris_aggregated"
    assert set(log.table["animal"]) == {"m1", "m2"} and set(log.table["video"]) == {"fst_01"}
    ev = _write(
        tmp_path,
        "boris_events.csv",
        "Observation id,Time,Subject,Behavior,Status\n"
        "fst_01,130.0,m1,Immobility,START\nfst_01,150.5,m1,Immobility,STOP\n"
        "fst_01,150.5,m1,Swimming,START\nfst_01,170.0,m1,Swimming,STOP\n",
    )
    log2 = read_event_log(ev)
    assert log2.format == "boris_events"
    m1 = log.table[log.table["animal"] == "m1"].reset_index(drop=True)
    assert log2.table[["behavior", "start_s", "stop_s"]].equals(
        m1[["behavior", "start_s", "stop_s"]]
    )
    bad = _write(
        tmp_path,
        "open.csv",
        "Observation id,Time,Subject,Behavior,Status\nx,1,m1,Immobility,START\n",
    )
    with pytest.raises(InputFileError, match="never stops"):
        read_event_log(bad)


def test_time_sampling_counts_are_seconds(tmp_path):
    p = _write(
        tmp_path,
        "lucki.csv",
        "animal,immobility,swimming,climbing\nr1,30,12,6\nr2,10,30,8\n",
    )
    log = read_event_log(p)
    assert (log.format, log.kind) == ("time_sampling", "totals")
    r1 = log.table[log.table["animal"] == "r1"].set_index("behavior")["duration_s"]
    assert r1["immobile"] == 150.0 and r1["active"] == 60.0 and r1["vigorous"] == 30.0
    bad = _write(tmp_path, "lucki_bad.csv", "animal,immobility,swimming\nr1,3.5,2\n")
    with pytest.raises(InputFileError, match="row 2: immobility is not a count"):
        read_event_log(bad)


def test_human_totals(tmp_path):
    p = _write(tmp_path, "human.csv", "video,immobility_s\nfst1.mp4,140.5\nfst2.mp4,90\n")
    log = read_event_log(p)
    assert log.format == "human_totals"
    assert list(log.table["duration_s"]) == [140.5, 90.0]


def test_unknown_and_empty(tmp_path):
    with pytest.raises(UnknownFormatError, match="formats tried"):
        read_event_log(_write(tmp_path, "x.csv", "a,b\n1,2\n"))
    with pytest.raises(InputFileError, match="empty file"):
        read_event_log(_write(tmp_path, "e.csv", ""))
    assert len(EVENT_LOG_FORMATS) == 5


def test_simulated_sessions_read_back_as_bout_logs(tmp_path):
    import numpy as np

    b = simulate_session(BehaviorModel(immobile_fraction=0.6), 360.0, np.random.default_rng(0))
    b.insert(0, "animal", "m1")
    p = tmp_path / "sim_bouts.csv"
    b.to_csv(p, index=False)
    log = read_event_log(p)
    s = scores_from_bouts(log.table, 120.0, 360.0)
    imm = b[b["behavior"] == "immobile"]
    truth = (imm["stop_s"].clip(120, 360) - imm["start_s"].clip(120, 360)).sum()
    assert s.immobility_s == pytest.approx(truth)


def test_human_immobility_for_calibration_from_every_kind_of_manual_score(tmp_path):
    """Totals, time-sampling sheets (their immobility counts only), BORIS exports (the media
    file names the video) and bout CSVs all give video -> animal -> immobility in the window."""
    from pdstudy.assays.behavior.analysis import human_immobility

    videos = [tmp_path / "fst1.mp4", tmp_path / "fst2.mp4"]
    lucki = _write(
        tmp_path,
        "lucki.csv",
        "video,animal,immobility,swimming,climbing\nfst1,r1,30,12,6\nfst2.mp4,r2,10,30,8\n",
    )
    got = human_immobility(read_event_log(lucki), videos, (120.0, 360.0))
    assert got == {"fst1.mp4": {"r1": 150.0}, "fst2.mp4": {"r2": 50.0}}
    boris = _write(
        tmp_path,
        "boris.tsv",
        "Observation id\tSubject\tBehavior\tBehavior type\tStart (s)\tStop (s)\tMedia file name\n"
        "obs A\tr1\tImmobility\tSTATE\t100.0\t150.0\tC:\\videos\\fst1.mp4\n"
        "obs A\tr1\tSwimming\tSTATE\t150.0\t200.0\tC:\\videos\\fst1.mp4\n"
        "obs A\tr1\tImmobility\tSTATE\t200.0\t400.0\tC:\\videos\\fst1.mp4\n",
    )
    log = read_event_log(boris)
    assert set(log.table["video"]) == {"fst1.mp4"}
    # clipped to the window: 30 s (120-150) + 160 s (200-360)
    assert human_immobility(log, videos, (120.0, 360.0)) == {"fst1.mp4": {"r1": 190.0}}
    with pytest.raises(InputFileError, match=r"boris.tsv, observation 'fst1.mp4'"):
        human_immobility(log, videos[1:], (120.0, 360.0))
    with pytest.raises(InputFileError, match=r"lucki.csv, animal 'r2'.*'fst2.mp4' is not among"):
        human_immobility(read_event_log(lucki), videos[:1], (120.0, 360.0))
