"""``[[uptake]]``: synaptosomal [3H]-substrate uptake -> IC50/Ki (inhibition) or Km/Vmax (kinetics)."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from pdstudy.assays.plates import check_plates
from pdstudy.assays.schema import Key, Problems, Schema
from pdstudy.report.figures import new_figure
from pdstudy.report.model import Figure, Section, Table
from pdstudy.report.sections.binding import qc_table
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
from pdstudy.study.handlers.protein import (
    PROTEIN_KEYS,
    check_protein_files,
    protein_per_well,
    protein_rule,
)
from pdstudy.study.model import AssayHandler, RunContext, SectionOutcome, SectionSpec

__all__ = ["HANDLER"]

TITLE = "Synaptosomal uptake"
MAX_CURVE_FIGURES = 6


def _mode_rule(values: dict[str, Any], raw: dict[str, Any], path: str, problems: Problems) -> None:
    mode = raw.get("mode", "inhibition")
    if mode == "inhibition" and "km" not in raw:
        problems.append(
            (
                f"{path}.km",
                "missing (required for inhibition): the substrate's Km at the "
                'transporter, for Ki = IC50 / (1 + [S]/Km), e.g. km = "0.3 µM"',
            )
        )
    if mode == "kinetics" and "km" in raw:
        problems.append((f"{path}.km", "km is what a kinetics experiment measures; remove it"))


SCHEMA = Schema(
    "uptake",
    (
        NAME_KEY,
        TARGET_KEY,
        *PLATE_KEYS,
        Key(
            "mode",
            "choice",
            default="inhibition",
            choices=("inhibition", "kinetics"),
            doc="inhibition (IC50, Ki of the test compound) or kinetics (Km, Vmax of the substrate)",
            example='"inhibition"',
        ),
        Key(
            "substrate",
            "text",
            default="[3H]norepinephrine",
            doc="the labelled substrate (methods text)",
            example='"[3H]norepinephrine"',
        ),
        Key(
            "substrate_conc",
            "quantity",
            "concentration",
            positive=True,
            doc="final substrate concentration [S] (inhibition; or a substrate_M layout column)",
            example='"15 nM"',
        ),
        Key(
            "km",
            "quantity",
            "concentration",
            positive=True,
            doc="the substrate's Km at the transporter (inhibition: Ki = IC50 / (1 + [S]/Km))",
            example='"0.3 µM"',
        ),
        Key(
            "specific_activity",
            "quantity",
            "specific_activity",
            required=True,
            positive=True,
            doc="specific activity of the labelled substrate",
            example='"40 Ci/mmol"',
        ),
        Key(
            "incubation",
            "quantity",
            "time",
            required=True,
            positive=True,
            doc="uptake time",
            example='"5 min"',
        ),
        Key(
            "hot_substrate_conc",
            "quantity",
            "concentration",
            positive=True,
            doc="kinetics: labelled substrate when higher [S] are made with unlabelled substrate",
            example='"20 nM"',
        ),
        Key(
            "nonspecific",
            "choice",
            default="auto",
            choices=("auto", "per_conc", "linear"),
            doc="kinetics: nonspecific rate per [S] or a line through them",
            example='"auto"',
        ),
        *COUNTING_KEYS,
        *PROTEIN_KEYS,
        Key("rout", "bool", default=True, doc="ROUT outlier removal (inhibition)", example="true"),
        Key(
            "weighting",
            "choice",
            default="auto",
            choices=("auto", "counts", "relative", "none"),
            doc="weighting of the inhibition fit (as for binding)",
            example='"auto"',
        ),
        Key(
            "two_site",
            "bool",
            default=False,
            doc="also compare a two-site fit (inhibition)",
            example="false",
        ),
        Key(
            "max_nonspecific_fraction",
            "fraction",
            default=0.80,
            positive=True,
            doc="QC: nonspecific / control uptake above this is flagged",
            example="0.8",
        ),
        Key(
            "max_cv",
            "fraction",
            default=0.20,
            positive=True,
            doc="QC: replicate CV above this is flagged",
            example="0.2",
        ),
    ),
    doc="Synaptosomal uptake of a labelled substrate: inhibition by the test compound, or "
    "substrate kinetics.",
    rules=(protein_rule, _mode_rule),
)


def _check_files(section: SectionSpec, problems: Problems) -> None:
    v = section.values
    layout = check_plates(v, section.key, problems, fmt=v.get("format"))
    if layout is not None and "role" in layout.columns:
        have = set(layout["role"].dropna())
        if v.get("mode") == "kinetics":
            need = (
                {"nsb"}
                if have & {"total", "substrate", "control", "saturation"}
                else {"nsb", "total"}
            )
        else:
            need = {"nsb", "competition"} | (
                {"control"} if not have & {"control", "total"} else set()
            )
        missing = sorted(need - have)
        if missing:
            problems.append(
                (
                    f"{section.key}.layout",
                    f"layout has no {', '.join(repr(r) for r in missing)} wells (uptake "
                    f"{v.get('mode', 'inhibition')} needs them)",
                )
            )
    check_protein_files(section, problems)


def _protein(section: SectionSpec, ctx: RunContext) -> tuple[dict[str, Any], list[Figure], str]:
    """Keyword arguments for the protein per well, figures of a protein plate, methods text."""
    v = section.values
    if v.get("protein") is None and v.get("protein_plate") is None:
        return {}, [], "protein per well from the layout's protein_mg_per_well column"
    mg, figures, text = protein_per_well(section, ctx)
    return {"protein_mg_per_well": mg}, figures, text


def _analyse(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    from pdstudy.study.handlers._common import read_merged

    start = time.perf_counter()
    v = section.values
    frame = read_merged(v["plates"], v["layout"], format=v["format"])
    if "target" not in frame.columns:
        frame["target"] = v["target"]
    protein_kw, protein_figures, protein_text = _protein(section, ctx)
    common = {
        "specific_activity_Ci_per_mmol": v["specific_activity"],
        "incubation_s": v["incubation"],
        "efficiency": v.get("efficiency"),
        "counts": v["counts"],
        "target": v["target"],
        **protein_kw,
    }
    if v["mode"] == "kinetics":
        return _kinetics(section, ctx, frame, common, protein_figures, protein_text, start)
    from pdstudy.assays.uptake import analyze_uptake, plot_uptake

    result = analyze_uptake(
        frame,
        km_M=v["km"],
        substrate_M=v.get("substrate_conc"),
        rout=v["rout"],
        two_site=v["two_site"],
        weighting=v["weighting"],
        max_nonspecific_fraction=v["max_nonspecific_fraction"],
        max_cv_pct=100 * v["max_cv"],
        **common,
    )
    curves = result.curves
    figures = []
    for i in range(min(len(curves), MAX_CURVE_FIGURES)):
        rec = curves.iloc[i]
        fig, (ax,) = new_figure(5.6, 4.2)
        plot_uptake(result, curve=i, ax=ax)
        figures.append(
            figure(
                ctx,
                fig,
                f"{section.slug}_curve{i + 1}",
                f"Experiment {rec['experiment']}, {rec['compound']}: specific uptake in % of "
                "control (mean ± SD), the chosen model with its 95 % band, IC50 and Ki.",
            )
        )
    figures.extend(protein_figures)
    aggregate = _aggregate(curves)
    files = write_results(
        ctx,
        section,
        {"curves": curves, "aggregate": aggregate, "qc": result.qc},
        {"result": as_document(result.to_json()), "aggregate": aggregate},
    )
    qc = qc_table(curves, result.qc)
    status = "flagged" if qc is not None else "ok"
    effects = []
    facts = []
    for agg in aggregate.to_dict("records"):
        label = f"{agg['compound']}: {v['substrate']} uptake at {agg['target']}"
        text = (
            f"IC50 {conc_text(agg['ic50_geomean_M'])}, Ki {conc_text(agg['ki_geomean_M'])} "
            f"(95 % CI {conc_text(agg['ki_ci_low_M'])}–{conc_text(agg['ki_ci_high_M'])}); "
            f"pKi {agg['pki_mean']:.2f}"
            + (
                f" ± {agg['pki_sem']:.2f} (mean ± SEM, n = {agg['n']})"
                if agg["n"] > 1
                else " (n = 1)"
            )
        )
        facts.append((label, text))
        effects.append((label, text))
    settings = result.settings
    methods = (
        f"Uptake ({section.name}): {v['substrate']} ([S] = {conc_text(v.get('substrate_conc'))}) "
        f"into synaptosomes for {v['incubation'] / 60:g} min, specific activity "
        f"{v['specific_activity']:g} Ci/mmol, {len(v['plates'])} plate(s) "
        f"({files_text(v['plates'], ctx.study_dir)}); {settings.get('counts', '')}; "
        f"{protein_text}. Rates (pmol/mg protein/min) minus nonspecific uptake were expressed "
        "as % of vehicle control and fitted by nonlinear regression (one site vs variable slope "
        "by the F test"
        + (", ROUT outlier removal" if v["rout"] else "")
        + f"); Ki = IC50 / (1 + [S]/Km) with Km = {conc_text(v['km'])} (Cheng & Prusoff 1973)."
    )
    shown = [
        c
        for c in (
            "experiment",
            "compound",
            "target",
            "model",
            "ic50_M",
            "ic50_ci_low_M",
            "ic50_ci_high_M",
            "hill",
            "ki_M",
            "pki",
            "control_rate_pmol_per_mg_per_min",
            "nonspecific_fraction",
            "z_prime",
            "status",
            "flags",
        )
        if c in curves.columns
    ]
    elapsed = time.perf_counter() - start
    report = Section(
        anchor=section.slug,
        title=section_title(section, TITLE),
        kind=section.kind,
        key=section.key,
        status=status,
        intro=(
            f"Inhibition of {v['substrate']} uptake ({v['target']}) by the test compound; "
            "specific uptake = total - nonspecific (desipramine or 4 °C wells), in % of vehicle "
            "control.",
        ),
        facts=tuple(facts),
        figures=tuple(figures),
        tables=(
            Table(
                "Curves (one per experiment)",
                curves[shown],
                labels={"control_rate_pmol_per_mg_per_min": "control uptake (pmol/mg/min)"},
            ),
            Table("Plate QC", result.qc),
        ),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=elapsed,
    )
    return SectionOutcome(
        key=section.key,
        kind=section.kind,
        name=section.name,
        section=report,
        ok=True,
        effects=tuple(effects),
        summary={"aggregate": aggregate, "n_curves": len(curves)},
        parameters={**_parameters(v), "analysis_settings": settings},
        elapsed_s=elapsed,
    )


def _aggregate(curves: pd.DataFrame) -> pd.DataFrame:
    from pdstudy.assays.binding import aggregate_experiments

    if curves.empty:
        return pd.DataFrame(columns=["compound", "target", "n", "ic50_geomean_M"])
    agg = aggregate_experiments(curves)
    usable = curves[curves["status"].isin(("converged", "at_bound"))]
    ic50 = usable.groupby(["compound", "target"], sort=False)["log_ic50"].mean()
    agg["ic50_geomean_M"] = [
        10.0 ** ic50.get((c, t), float("nan"))
        for c, t in zip(agg["compound"], agg["target"], strict=True)
    ]
    return agg


def _kinetics(
    section: SectionSpec,
    ctx: RunContext,
    frame: pd.DataFrame,
    common: dict[str, Any],
    protein_figures: list[Figure],
    protein_text: str,
    start: float,
) -> SectionOutcome:
    from pdstudy.assays.uptake import analyze_uptake_kinetics, plot_kinetics

    v = section.values
    result = analyze_uptake_kinetics(
        frame, hot_substrate_M=v.get("hot_substrate_conc"), nonspecific=v["nonspecific"], **common
    )
    curves = result.curves
    figures = []
    for i in range(min(len(curves), MAX_CURVE_FIGURES)):
        fig, axes = new_figure(9.6, 4.0, ncols=2)
        plot_kinetics(result, curve=i, ax=axes[0])
        plot_kinetics(result, curve=i, ax=axes[1], kind="eadie_hofstee")
        figures.append(
            figure(
                ctx,
                fig,
                f"{section.slug}_curve{i + 1}",
                "Specific uptake rate against [S] (mean ± SD) with the Michaelis-Menten fit "
                "and its 95 % band; right: Eadie-Hofstee plot, a display only (the line "
                "comes from the nonlinear fit).",
            )
        )
    figures.extend(protein_figures)
    point_cols = [
        c
        for c in (
            "plate",
            "well",
            "experiment",
            "target",
            "role",
            "substrate_M",
            "specific_activity_Ci_per_mmol",
            "dpm_used",
            "pmol",
            "protein_mg_per_well",
            "rate_pmol_per_mg_per_min",
            "nonspecific_rate_pmol_per_mg_per_min",
            "specific_rate_pmol_per_mg_per_min",
        )
        if c in result.points.columns
    ]
    files = write_results(
        ctx,
        section,
        {"curves": curves, "points": result.points[point_cols]},
        {"result": as_document(result.to_json())},
    )
    qc = qc_table(curves, pd.DataFrame())
    facts = [
        (
            f"{v['substrate']} uptake kinetics at {rec['target']} (experiment {rec['experiment']})",
            f"Km {conc_text(rec['km_M'])} (95 % CI {conc_text(rec['km_ci_low_M'])}–"
            f"{conc_text(rec['km_ci_high_M'])}), Vmax {rec['vmax_pmol_per_mg_per_min']:.3g} "
            "pmol/mg/min",
        )
        for rec in curves.to_dict("records")
    ]
    methods = (
        f"Uptake kinetics ({section.name}): {v['substrate']} over a range of [S] for "
        f"{v['incubation'] / 60:g} min ({files_text(v['plates'], ctx.study_dir)}); "
        f"{protein_text}; specific rate = total - nonspecific ({v['nonspecific']}); Km and Vmax "
        "from a Michaelis-Menten fit with profile-likelihood 95 % CIs."
    )
    elapsed = time.perf_counter() - start
    report = Section(
        anchor=section.slug,
        title=section_title(section, "Uptake kinetics"),
        kind=section.kind,
        key=section.key,
        status="flagged" if qc is not None else "ok",
        intro=(f"Michaelis-Menten kinetics of {v['substrate']} uptake at {v['target']}.",),
        facts=tuple(facts),
        figures=tuple(figures),
        tables=(Table("Km and Vmax per experiment", curves),),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=elapsed,
    )
    return SectionOutcome(
        key=section.key,
        kind=section.kind,
        name=section.name,
        section=report,
        ok=True,
        effects=tuple(facts),
        summary={"curves": curves},
        parameters=_parameters(v),
        elapsed_s=elapsed,
    )


def _parameters(v: Any) -> dict[str, Any]:
    return {
        k: v.get(k)
        for k in SCHEMA.names
        if k not in ("name", "plates", "layout", "protein_plate", "protein_layout")
    }


def run(section: SectionSpec, ctx: RunContext) -> SectionOutcome:
    """Analyse one ``[[uptake]]`` section (errors become a failed outcome)."""
    return run_guarded(TITLE, _analyse, section, ctx)


HANDLER = AssayHandler("uptake", TITLE, SCHEMA, run, _check_files)
