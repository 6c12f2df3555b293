"""``[[binding]]``: radioligand competition plates -> IC50, Ki, pKi per experiment, QC, mean pKi."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.report.figures import new_figure
from pdstudy.report.model import Section, Table
from pdstudy.study.handlers._common import (
    COUNTING_KEYS,
    NAME_KEY,
    PLATE_KEYS,
    TARGET_KEY,
    as_document,
    conc_text,
    figure,
    files_text,
    run_guarded,
    section_title,
    write_results,
)
from pdstudy.study.load import check_plates_against_layout, read_layout_checked
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec
from pdstudy.study.schema import Key, Problems, Schema

__all__ = ["FIT_KEYS", "HANDLER", "qc_table"]

TITLE = "Competition binding"
#: figures of single curves drawn per section (the overlay shows them all)
MAX_CURVE_FIGURES = 6

FIT_KEYS = (
    Key("rout", "bool", default=True, doc="ROUT outlier removal (Q = rout_q)", example="true"),
    Key(
        "rout_q",
        "fraction",
        default=0.01,
        positive=True,
        doc="ROUT false-discovery rate Q",
        example="0.01",
    ),
    Key(
        "two_site",
        "bool",
        default=True,
        doc="also fit two sites and compare with one site",
        example="true",
    ),
    Key(
        "weighting",
        "choice",
        default="auto",
        choices=("auto", "counts", "relative", "none"),
        doc="weighting of the fit: counting variance (auto; a 1-min count when the file has no counting time), "
        "relative 1/Y², or none (Prism's default)",
        example='"auto"',
    ),
)

SCHEMA = Schema(
    "binding",
    (
        NAME_KEY,
        TARGET_KEY,
        *PLATE_KEYS,
        Key(
            "radioligand",
            "text",
            default="radioligand",
            doc="name of the radioligand (methods text)",
            example='"[3H]nisoxetine"',
        ),
        Key(
            "radioligand_conc",
            "quantity",
            "concentration",
            required=True,
            positive=True,
            doc="final radioligand concentration [L]",
            example='"1 nM"',
        ),
        Key(
            "kd",
            "quantity",
            "concentration",
            required=True,
            positive=True,
            doc="the radioligand's Kd at the target (Cheng-Prusoff)",
            example='"0.8 nM"',
        ),
        Key(
            "specific_activity",
            "quantity",
            "specific_activity",
            positive=True,
            doc="radioligand specific activity (ligand-depletion check)",
            example='"80 Ci/mmol"',
        ),
        Key(
            "volume",
            "quantity",
            "volume",
            positive=True,
            doc="assay volume per well (ligand-depletion check)",
            example='"200 µL"',
        ),
        *COUNTING_KEYS[:1],
        *FIT_KEYS,
    ),
    doc="Radioligand competition binding: total, NSB and competition wells counted on a "
    "scintillation counter; one plate file per independent experiment.",
)


def _check_files(section: SectionSpec, problems: Problems) -> None:
    layout = read_layout_checked(section, "layout", problems)
    check_plates_against_layout(
        section,
        layout,
        problems,
        roles=("total", "nsb", "competition"),
        fmt=section.values.get("format"),
    )


def qc_table(curves: pd.DataFrame, plates: pd.DataFrame) -> Table | None:
    """Curve and plate QC flags with their reasons, in one table (``None`` when nothing is flagged)."""
    rows = []
    for frame, kind in ((curves, "curve"), (plates, "plate")):
        if frame is None or frame.empty or "flags" not in frame.columns:
            continue
        for rec in frame.to_dict("records"):
            if not str(rec.get("flags") or "").strip():
                continue
            if kind == "curve":
                what = " / ".join(
                    str(rec.get(k, ""))
                    for k in ("experiment", "compound", "target")
                    if str(rec.get(k, "")) not in ("", "nan")
                )
            else:
                what = f"plate {rec.get('plate')}"
            rows.append(
                {
                    "level": kind,
                    "where": what,
                    "flags": rec["flags"],
                    "reason": rec.get("flag_reasons", ""),
                }
            )
    if not rows:
        return None
    return Table("QC flags (with the reason for each)", pd.DataFrame(rows))


def _analyse(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    from pdstudy.assays.binding import (
        aggregate_experiments,
        analyze_competition,
        plot_competition,
        read_merged,
    )

    start = time.perf_counter()
    v = section.values
    frame = read_merged(v["plates"], v["layout"], format=v["format"])
    if "target" not in frame.columns or frame["target"].isna().all():
        frame["target"] = v["target"]
    else:
        frame["target"] = frame["target"].fillna(v["target"])
    result = analyze_competition(
        frame,
        radioligand_M=v["radioligand_conc"],
        kd_M=v["kd"],
        rout=v["rout"],
        q=v["rout_q"],
        two_site=v["two_site"],
        weighting=v["weighting"],
        specific_activity_Ci_per_mmol=v.get("specific_activity"),
        volume_L=v.get("volume"),
        efficiency=v.get("efficiency"),
    )
    curves = result.curves
    aggregate = aggregate_experiments(curves) if len(curves) else pd.DataFrame()

    figures = []
    if result.fits is not None and len(curves):
        if len(curves) > 1:
            fig, (ax,) = new_figure(7.0, 4.6)
            plot_competition(result, ax=ax)
            figures.append(
                figure(
                    ctx,
                    fig,
                    f"{section.slug}_all",
                    "All competition curves of the section (mean ± SD of % specific "
                    "binding per concentration, fitted curve, 95 % confidence band).",
                )
            )
        for i in range(min(len(curves), MAX_CURVE_FIGURES)):
            rec = curves.iloc[i]
            fig, (ax,) = new_figure(5.6, 4.2)
            plot_competition(result, curve=i, ax=ax)
            figures.append(
                figure(
                    ctx,
                    fig,
                    f"{section.slug}_curve{i + 1}",
                    f"Experiment {rec['experiment']}, {rec['compound']} at {rec['target']}: "
                    "% specific binding (mean ± SD of the replicate wells), the chosen model "
                    f"({rec['model']}) with its 95 % confidence band, ROUT-excluded wells as "
                    "crosses, and Ki with its 95 % CI.",
                )
            )
    files = write_results(
        ctx,
        section,
        {"curves": curves, "aggregate": aggregate, "qc": result.qc, "wells": result.points},
        {"result": as_document(result.to_json()), "aggregate": aggregate},
    )
    qc = qc_table(curves, result.qc)
    status = "flagged" if qc is not None else "ok"
    if len(curves) and not curves["status"].isin(("converged", "at_bound")).all():
        status = "flagged"
    facts: list[tuple[str, str]] = []
    effects: list[tuple[str, str]] = []
    for agg in aggregate.to_dict("records"):
        label = f"{agg['compound']} at {agg['target']}"
        if agg["n"] >= 2:
            text = (
                f"pKi {agg['pki_mean']:.2f} ± {agg['pki_sem']:.2f} (mean ± SEM, n = {agg['n']}); "
                f"Ki {conc_text(agg['ki_geomean_M'])} (95 % CI {conc_text(agg['ki_ci_low_M'])}–"
                f"{conc_text(agg['ki_ci_high_M'])})"
            )
        elif agg["n"] == 1:
            one = curves[
                (curves["compound"].astype(str) == str(agg["compound"]))
                & (curves["target"].astype(str) == str(agg["target"]))
            ].iloc[0]
            text = (
                f"pKi {agg['pki_mean']:.2f}, Ki {conc_text(one['ki_M'])} (95 % CI "
                f"{conc_text(one['ki_ci_low_M'])}–{conc_text(one['ki_ci_high_M'])}; n = 1)"
            )
        else:
            text = "no usable curve"
        facts.append((label, text))
    radioligand = v["radioligand"]
    methods = (
        f"Competition binding ({section.name}): {radioligand} at {conc_text(v['radioligand_conc'])} "
        f"(Kd {conc_text(v['kd'])}) at {v['target']}, {len(v['plates'])} plate(s) "
        f"({files_text(v['plates'], ctx.study_dir)}), each an independent experiment. Specific "
        "binding was total minus the mean of the nonspecific-binding wells and expressed as % of "
        "the specific window. Curves were fitted by nonlinear regression to a one-site model "
        "(Hill slope -1) and a variable-slope model, chosen by the extra sum-of-squares F test "
        f"(alpha 0.05){', with a two-site model compared' if v['two_site'] else ''}; "
        f"{result.options.get('weighting', v['weighting'])} weighting; "
        + (f"ROUT outlier removal (Q = {100 * v['rout_q']:g} %); " if v["rout"] else "")
        + "log Ki was fitted directly in the Cheng-Prusoff form Ki = IC50 / (1 + [L]/Kd) with "
        "profile-likelihood 95 % CIs. pKi values of independent experiments are reported as "
        "mean ± SEM and the geometric-mean Ki with a t-based 95 % CI."
    )
    ki_cols = [
        c
        for c in (
            "experiment",
            "compound",
            "target",
            "ki_M",
            "ki_ci_low_M",
            "ki_ci_high_M",
            "pki",
            "pki_ci_low",
            "pki_ci_high",
            "status",
        )
        if c in curves.columns
    ]
    shown = [
        c
        for c in (
            "experiment",
            "compound",
            "target",
            "model",
            "ic50_M",
            "hill",
            "ki_M",
            "ki_ci_low_M",
            "ki_ci_high_M",
            "pki",
            "status",
            "flags",
        )
        if c in curves.columns
    ]
    plate_cols = [
        c
        for c in (
            "plate",
            "total_mean",
            "nsb_mean",
            "nsb_pct_of_total",
            "window_cpm",
            "z_prime",
            "cv_median_pct",
            "bound_fraction",
            "flags",
        )
        if c in result.qc.columns
    ]
    tables = [Table("Curves (one per experiment)", curves[shown])]
    if len(aggregate):
        tables.append(
            Table(
                "Independent experiments combined",
                aggregate[
                    [
                        c
                        for c in (
                            "compound",
                            "target",
                            "n",
                            "pki_mean",
                            "pki_sem",
                            "ki_geomean_M",
                            "ki_ci_low_M",
                            "ki_ci_high_M",
                            "experiments",
                        )
                        if c in aggregate.columns
                    ]
                ],
                labels={
                    "pki_mean": "pKi (mean)",
                    "pki_sem": "SEM",
                    "ki_geomean_M": "Ki (geometric mean)",
                },
            )
        )
    tables.append(
        Table(
            "Plate QC",
            result.qc[plate_cols],
            labels={"bound_fraction": "radioligand bound (fraction)"},
        )
    )
    elapsed = time.perf_counter() - start
    report = Section(
        anchor=section.slug,
        title=section_title(section, TITLE),
        kind=section.kind,
        key=section.key,
        status=status,
        intro=(
            f"{radioligand} ({conc_text(v['radioligand_conc'])}, Kd {conc_text(v['kd'])}) "
            f"displaced by the test compound from {v['target']}; {len(curves)} curve(s) from "
            f"{len(v['plates'])} plate file(s).",
        ),
        facts=tuple(facts),
        figures=tuple(figures),
        tables=tuple(tables),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=elapsed,
    )
    effects = []
    parameters: dict[str, Any] = {
        k: v.get(k)
        for k in (
            "target",
            "radioligand",
            "radioligand_conc",
            "kd",
            "specific_activity",
            "volume",
            "efficiency",
            "rout",
            "rout_q",
            "two_site",
            "weighting",
            "format",
        )
    }
    parameters["analysis_options"] = result.options
    summary: dict[str, Any] = {
        "n_curves": len(curves),
        "aggregate": aggregate,
        "flags": sorted(
            {
                f
                for fl in curves.get("flags", pd.Series(dtype=str)).fillna("")
                for f in str(fl).split(";")
                if f
            }
        ),
    }
    ki = curves[ki_cols].copy() if len(curves) else None
    if ki is not None:
        ki["section"] = section.key
        ki["ki_M"] = ki["ki_M"].astype(float)
        ki = ki[np.isfinite(ki["ki_M"].to_numpy(dtype=float))]
    return SectionOutcome(
        key=section.key,
        kind=section.kind,
        name=section.name,
        section=report,
        ok=True,
        ki=ki,
        effects=tuple(effects),
        summary=summary,
        parameters=parameters,
        elapsed_s=elapsed,
    )


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[binding]]`` section (errors become a failed outcome)."""
    return run_guarded(TITLE, _analyse, section, ctx)


HANDLER = AssayHandler("binding", TITLE, SCHEMA, run, _check_files)
