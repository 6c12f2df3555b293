"""The report section of an ``[[uptake]]`` result: inhibition (IC50, Ki) or kinetics (Km, Vmax)."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd

from pdstudy.assays.curve_options import ci_words
from pdstudy.assays.plates import procedure_text
from pdstudy.report.figures import new_figure
from pdstudy.report.format import model_parameters_text
from pdstudy.report.model import Figure, Section, Table
from pdstudy.report.sections import FigureSpec, SectionInfo, files_text, residual_figure
from pdstudy.report.sections.binding import fit_text, parameter_labels, qc_table
from pdstudy.units import conc_text

__all__ = ["KINETICS_TITLE", "MAX_CURVE_FIGURES", "TITLE", "build", "effects", "figures"]

TITLE = "Synaptosomal uptake"
KINETICS_TITLE = "Uptake kinetics"
#: figures of single curves drawn per section
MAX_CURVE_FIGURES = 6


def _is_kinetics(result: Any) -> bool:
    return getattr(result, "kind", "") == "kinetics"


def _protein_figures(result: Any, info: SectionInfo) -> list[FigureSpec]:
    """The standard curve of the protein plate the protein per well was read from."""
    protein = getattr(result, "protein", None)
    if protein is None:
        return []
    from pdstudy.assays.protein import plot_protein

    def draw(plate: Any) -> Any:
        fig, (ax,) = new_figure(5.6, 4.0)
        plot_protein(protein, ax=ax, plate=plate)
        return fig

    plate_file = info.values.get("protein_plate")
    name = getattr(plate_file, "name", str(plate_file))
    chosen = list(protein.chosen)
    return [
        FigureSpec(
            f"{info.slug}_protein" if len(chosen) == 1 else f"{info.slug}_protein{k + 1}",
            f"Protein standard curve of the preparation ({name}): standards, fit with its "
            "95 % band, and the sample read off the curve.",
            partial(draw, plate),
        )
        for k, plate in enumerate(chosen)
    ]


def figures(result: Any, info: SectionInfo) -> list[FigureSpec]:
    """Up to :data:`MAX_CURVE_FIGURES` curves (kinetics: with an Eadie-Hofstee panel), then
    the protein standard curve when the protein came from a plate."""
    from pdstudy.assays.uptake import plot_kinetics, plot_uptake

    curves = result.curves
    out: list[FigureSpec] = []
    band = ci_words(getattr(result, "level", 0.95)).replace(" CI", " band")
    if _is_kinetics(result):

        def kinetics(i: int) -> Any:
            fig, axes = new_figure(9.6, 4.0, ncols=2)
            plot_kinetics(result, curve=i, ax=axes[0])
            plot_kinetics(result, curve=i, ax=axes[1], kind="eadie_hofstee")
            return fig

        for i in range(min(len(curves), MAX_CURVE_FIGURES)):
            out.append(
                FigureSpec(
                    f"{info.slug}_curve{i + 1}",
                    "Specific uptake rate against [S] (mean ± SD) with the Michaelis-Menten fit "
                    f"and its {band}; right: Eadie-Hofstee plot, a display only (the line "
                    "comes from the nonlinear fit).",
                    partial(kinetics, i),
                )
            )
    elif result.fits is not None:

        def inhibition(i: int) -> Any:
            fig, (ax,) = new_figure(5.6, 4.2)
            plot_uptake(result, curve=i, ax=ax)
            return fig

        for i in range(min(len(curves), MAX_CURVE_FIGURES)):
            rec = curves.iloc[i]
            out.append(
                FigureSpec(
                    f"{info.slug}_curve{i + 1}",
                    f"Experiment {rec['experiment']}, {rec['compound']}: specific uptake in % of "
                    f"control (mean ± SD), the chosen model with its {band}, IC50 and Ki.",
                    partial(inhibition, i),
                )
            )

        out.append(residual_figure(result.fits, info.slug, "% of control"))
    return out + _protein_figures(result, info)


def _inhibition_facts(result: Any, info: SectionInfo) -> list[tuple[str, str]]:
    substrate = info.values.get("substrate", "substrate")
    ci = ci_words(result.level)
    facts = []
    for agg in result.tables["aggregate"].to_dict("records"):
        label = f"{agg['compound']}: {substrate} uptake at {agg['target']}"
        text = (
            f"IC50 {conc_text(agg['ic50_geomean_M'])}, Ki {conc_text(agg['ki_geomean_M'])} "
            f"({ci} {conc_text(agg['ki_ci_low_M'])}–{conc_text(agg['ki_ci_high_M'])}); "
            f"pKi {agg['pki_mean']:.2f}"
            + (
                f" ± {agg['pki_sem']:.2f} (mean ± SEM, n = {agg['n']})"
                if agg["n"] > 1
                else " (n = 1)"
            )
        )
        facts.append((label, text))
    return facts


def _kinetics_facts(result: Any, info: SectionInfo) -> list[tuple[str, str]]:
    substrate = info.values.get("substrate", "substrate")
    ci = ci_words(getattr(result, "level", 0.95))
    return [
        (
            f"{substrate} uptake kinetics at {rec['target']} (experiment {rec['experiment']})",
            f"Km {conc_text(rec['km_M'])} ({ci} {conc_text(rec['km_ci_low_M'])}–"
            f"{conc_text(rec['km_ci_high_M'])}), Vmax {rec['vmax_pmol_per_mg_per_min']:.3g} "
            "pmol/mg/min",
        )
        for rec in result.curves.to_dict("records")
    ]


def _protein_text(result: Any) -> str:
    return str(result.settings.get("protein", ""))


def build(
    result: Any, info: SectionInfo, figures: tuple[Figure, ...], files: tuple[str, ...]
) -> Section:
    """The section: facts, curves (and plate QC), QC flags, methods."""
    if _is_kinetics(result):
        return _build_kinetics(result, info, figures, files)
    v = info.values
    curves = result.curves
    qc = qc_table(curves, result.qc)
    status = "flagged" if qc is not None else "ok"
    settings = result.settings
    plates = v.get("plates", [])
    incubation = v.get("incubation") or settings.get("incubation_s", float("nan"))
    sa = v.get("specific_activity") or settings.get("specific_activity_Ci_per_mmol")
    km = v.get("km") if v.get("km") is not None else settings.get("km_M")
    pct = f"{100 * float(result.level):.3g} %"
    methods = (
        f"Uptake ({info.name}): {v.get('substrate', 'substrate')} ([S] = "
        f"{conc_text(v.get('substrate_conc'))}) into synaptosomes for {incubation / 60:g} min, "
        f"specific activity {sa:g} Ci/mmol, {len(plates)} plate(s) "
        f"({files_text(plates, info.study_dir)}); {settings.get('counts', '')}; "
        f"{_protein_text(result)}. Rates (pmol/mg protein/min) minus nonspecific uptake were "
        "expressed as % of vehicle control and fitted by nonlinear regression ("
        + str(settings.get("weighting_text", f"{settings.get('weighting')} weighting"))
        + (", ROUT outlier removal" if v.get("rout", settings.get("rout")) else "")
        + ") to "
        + fit_text(settings, "% of control", level_key="level")
        + f"; Ki = IC50 / (1 + [S]/Km) with Km = {conc_text(km)} (Cheng & Prusoff 1973), "
        "from the IC50 of the model chosen for each curve (flagged when that is the variable "
        f"slope: Cheng-Prusoff assumes a slope of 1); profile-likelihood {pct} CIs for IC50 and "
        f"Ki, and a t-based {pct} CI for the mean over independent experiments."
    )
    procedure = procedure_text(v, incubation=False)
    if procedure:
        methods = f"{methods} {procedure}"
    curves = model_parameters_text(curves)
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
            "hill_text",
            "bottom_text",
            "top_text",
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
    return Section(
        anchor=info.slug,
        title=info.title(TITLE),
        kind=info.kind,
        key=info.key,
        status=status,
        intro=(
            f"Inhibition of {v.get('substrate', 'substrate')} uptake ({v.get('target')}) by the "
            "test compound; specific uptake = total - nonspecific (desipramine or 4 °C wells), "
            "in % of vehicle control.",
        ),
        facts=tuple(_inhibition_facts(result, info)),
        figures=figures,
        tables=(
            Table(
                "Curves (one per experiment)",
                curves[shown],
                labels={
                    "control_rate_pmol_per_mg_per_min": "control uptake (pmol/mg/min)",
                    **parameter_labels(result.level),
                },
                note="Hill slope, bottom and top (% of control) are those of the model each row "
                f"reports, with {pct} CIs; the one-site model fixes the Hill slope at -1, and a "
                "value held by the analysis is shown as fixed.",
            ),
            Table("Plate QC", result.qc),
        ),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=info.elapsed_s,
    )


#: the kinetics table of the report (the CSV has every column)
_KINETICS_SHOWN = (
    "experiment",
    "target",
    "km_M",
    "km_ci_low_M",
    "km_ci_high_M",
    "vmax_pmol_per_mg_per_min",
    "vmax_ci_low",
    "vmax_ci_high",
    "n_points",
    "r_squared",
    "nonspecific_method",
    "status",
    "flags",
)


def _build_kinetics(
    result: Any, info: SectionInfo, figures: tuple[Figure, ...], files: tuple[str, ...]
) -> Section:
    v = info.values
    curves = result.curves
    qc = qc_table(curves, pd.DataFrame())
    incubation = v.get("incubation") or result.settings.get("incubation_s", float("nan"))
    methods = (
        f"Uptake kinetics ({info.name}): {v.get('substrate', 'substrate')} over a range of [S] "
        f"for {incubation / 60:g} min ({files_text(v.get('plates', []), info.study_dir)}); "
        f"{_protein_text(result)}; specific rate = total - nonspecific "
        f"({v.get('nonspecific', result.settings.get('nonspecific'))}); Km and Vmax "
        "from a Michaelis-Menten fit ("
        + str(result.settings.get("weighting_text", "weighted by 1/Y²"))
        + ") with profile-likelihood "
        f"{100 * float(getattr(result, 'level', 0.95)):.3g} % CIs."
    )
    procedure = procedure_text(v, incubation=False)
    if procedure:
        methods = f"{methods} {procedure}"
    return Section(
        anchor=info.slug,
        title=info.title(KINETICS_TITLE),
        kind=info.kind,
        key=info.key,
        status="flagged" if qc is not None else "ok",
        intro=(
            f"Michaelis-Menten kinetics of {v.get('substrate', 'substrate')} uptake at "
            f"{v.get('target')}.",
        ),
        facts=tuple(_kinetics_facts(result, info)),
        figures=figures,
        tables=(
            Table(
                "Km and Vmax per experiment",
                curves[[c for c in _KINETICS_SHOWN if c in curves.columns]],
                labels={"r_squared": "R² (specific curve)"},
                note="Every column (protein per well and its CI, nonspecific slope, [S] range, "
                "the fit's own R², the method in words) is in the results CSV.",
            ),
        ),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=info.elapsed_s,
    )


def effects(result: Any, info: SectionInfo) -> tuple[tuple[str, str], ...]:
    """The headline's functional effects: IC50/Ki per compound x target (inhibition), or Km
    and Vmax per experiment (kinetics): the same lines as the section's facts."""
    if _is_kinetics(result):
        return tuple(_kinetics_facts(result, info))
    return tuple(_inhibition_facts(result, info))
