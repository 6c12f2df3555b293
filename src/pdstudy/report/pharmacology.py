"""Report sections of the pharmacology: the target profile and the synapse model."""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.pharmacology import (
    MicrodialysisPrediction,
    ProfileResult,
    SynapseParams,
    fold_change_vs_occupancy,
    plot_fold_change,
    plot_occupancy,
    plot_pathway,
    plot_prediction,
)
from pdstudy.report.figures import new_figure, render_figure
from pdstudy.report.model import Section, Table
from pdstudy.units import format_conc

__all__ = ["profile_section", "synapse_section"]

_PROFILE_COLUMNS = ["target", "ki_M", "pki", "selectivity", "occupancy", "status", "source"]


def profile_section(
    result: ProfileResult,
    liability: pd.DataFrame,
    *,
    threshold: float,
    exposure: str,
    figures_dir: str | PathLike[str] | None = None,
    relative_to: str | PathLike[str] | None = None,
    anchor: str = "profile",
) -> Section:
    """The target profile: Ki table, selectivity, occupancy at the exposure, liabilities.

    Parameters
    ----------
    result
        From :func:`pdstudy.pharmacology.compute_profile` at the study's free concentration.
    liability
        From :func:`pdstudy.pharmacology.liability_table`.
    threshold
        The occupancy above which targets enter the liability table.
    exposure
        How the free concentration was obtained (one sentence).
    figures_dir, relative_to
        Where to write the figure files, and the folder they are listed relative to.
    """
    fig, (ax,) = new_figure(7.2, 4.6)
    plot_occupancy(result, ax=ax)
    figure = render_figure(
        fig,
        "profile_occupancy",
        "Predicted occupancy, Cu / (Cu + Ki), of every target against the free concentration; "
        "the vertical line is the study's free concentration. Line style gives the status of "
        "each Ki: solid verified, dashed approximate, dotted vendor-reported (unverified).",
        figures_dir,
        relative_to,
    )
    frame = result.to_frame()
    order = np.argsort(-frame["occupancy"].to_numpy(), kind="stable")
    top = [f"{frame['target'].iloc[i]} {100 * frame['occupancy'].iloc[i]:.0f} %" for i in order[:4]]
    ref = result.reference_target
    unverified = [t for t, s in zip(result.targets, result.status, strict=True) if s != "verified"]
    intro = [
        f"Occupancy follows the law of mass action, occupancy = Cu / (Cu + Ki) with the "
        f"profile's literature Ki, at the unbound "
        f"concentration Cu = {format_conc(result.conc_free_M)} ({exposure}). Only free drug "
        "binds (free-drug hypothesis).",
    ]
    if ref:
        intro.append(
            f"Selectivity is Ki(target) / Ki({ref}): how many-fold weaker the compound binds "
            f"each target than {ref}."
        )
    if unverified:
        intro.append(
            f"{len(unverified)} of {len(result.targets)} Ki values are not verified in a primary "
            "source (status column); vendor-reported values are unverified and should not be "
            "relied on."
        )
    liab = liability.copy()
    tables = [
        Table(
            f"Literature Ki table and occupancy at Cu = {format_conc(result.conc_free_M)}",
            frame[_PROFILE_COLUMNS],
            labels={
                "ki_M": "literature Ki",
                "pki": "literature pKi",
                "selectivity": (
                    f"selectivity (literature Ki / Ki {ref})" if ref else "selectivity (literature)"
                ),
                "occupancy": "occupancy (literature Ki)",
            },
            note="Every value of this table uses the literature Ki of the profile; occupancies "
            "from the Ki measured in this study are in the headline.",
        ),
        Table(
            f"Liabilities: targets occupied above {100 * threshold:.0f} %",
            liab,
            note="Expected effects of occupying each target; check the status of its Ki."
            if len(liab)
            else f"No target is occupied above {100 * threshold:.0f} % at this concentration.",
        ),
    ]
    return Section(
        anchor=anchor,
        title="Target profile",
        kind="profile",
        intro=tuple(intro),
        facts=(
            ("compound", result.compound or "–"),
            ("free concentration", format_conc(result.conc_free_M)),
            ("most occupied", ", ".join(top)),
            ("liabilities", ", ".join(liab["target"]) if len(liab) else "none above threshold"),
        ),
        figures=(figure,),
        tables=tuple(tables),
    )


def plot_measured_vs_predicted(
    measured: pd.DataFrame, samples: pd.DataFrame, *, ax: Any = None
) -> Any:
    """Measured dialysate NE per group (mean ± SEM) and the predicted dialysate, in % of baseline."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.4))
    for i, (group, sub) in enumerate(measured.groupby("group", sort=False)):
        ax.errorbar(
            sub["time_s"] / 60.0,
            sub["mean_pct"],
            yerr=sub["sem_pct"].fillna(0.0),
            fmt="o",
            ms=4,
            capsize=2,
            color=f"C{i + 1}",
            label=f"measured: {group}",
        )
    ax.plot(
        samples["sample_end_s"] / 60.0,
        samples["ne_pct_baseline"],
        "-",
        color="C0",
        lw=2,
        label="synapse model (predicted dialysate)",
    )
    ax.axhline(100.0, color="0.6", lw=0.8, ls=":")
    ax.axvline(0.0, color="0.4", lw=0.8, ls="--")
    ax.set_xlabel("time after dosing (min)")
    ax.set_ylabel("extracellular NE (% of baseline)")
    ax.legend(fontsize="small", frameon=False)
    return ax


def synapse_section(
    prediction: MicrodialysisPrediction,
    *,
    parameters: pd.DataFrame,
    samples: pd.DataFrame,
    ki_note: str,
    measured: pd.DataFrame | None = None,
    exposure_occupancy: float | None = None,
    species: Mapping[str, str] | None = None,
    compound: str = "NET inhibitor",
    figures_dir: str | PathLike[str] | None = None,
    relative_to: str | PathLike[str] | None = None,
    anchor: str = "synapse",
) -> Section:
    """The synapse model: pathway, NE fold change vs NET occupancy, predicted microdialysis.

    Parameters
    ----------
    prediction
        From :func:`pdstudy.pharmacology.simulate_microdialysis` at the study's dose.
    parameters
        Every model parameter used: ``parameter, value, unit, source``.
    samples
        From :func:`pdstudy.pharmacology.dialysate_samples` (predicted dialysate bins).
    ki_note
        Where the NET Ki came from (measured in this study or literature).
    measured
        The study's measured dialysate NE (``group``, ``time_s``, ``mean_pct``,
        ``sem_pct``), drawn against the predicted dialysate when given.
    exposure_occupancy
        NET occupancy at the study's exposure, marked on the fold-change figure.
    species
        The parameter set in words (``set``, ``measured``, ``illustrative``, ``other``,
        ``ki``), shown as facts; see :func:`pdstudy.study.pharmacology.species_sentences`.
    """
    syn: SynapseParams = prediction.synapse
    figures = []
    fig, (ax,) = new_figure(7.6, 5.4)
    plot_pathway(ax=ax, compound=compound)
    figures.append(
        render_figure(
            fig,
            "synapse_pathway",
            "The pathway the model quantifies: the drug blocks NET, extracellular NE rises and "
            "acts on presynaptic alpha2 autoreceptors (negative feedback on release) and on "
            "postsynaptic alpha1 (Gq) and beta (Gs -> cAMP -> PKA) receptors.",
            figures_dir,
            relative_to,
        )
    )
    fig, (ax,) = new_figure(6.0, 4.4)
    plot_fold_change(syn, ax=ax)
    fold_at_exposure = None
    if exposure_occupancy is not None and 0 <= exposure_occupancy < 1:
        fold_at_exposure = float(fold_change_vs_occupancy(syn, [exposure_occupancy])[0])
        ax.plot(100 * exposure_occupancy, fold_at_exposure, "o", color="C3", label="study exposure")
        ax.legend(fontsize="small")
    figures.append(
        render_figure(
            fig,
            "synapse_fold_change",
            "Predicted steady-state extracellular NE (fold of basal) against NET occupancy, with "
            "and without alpha2-autoreceptor feedback; dotted: 1 / (1 - occupancy); grey band: "
            "the 2-4x acute rise measured in vivo for NET inhibitors.",
            figures_dir,
            relative_to,
        )
    )
    fig, (ax,) = new_figure(7.0, 4.4)
    plot_prediction(prediction, ax=ax)
    figures.append(
        render_figure(
            fig,
            "synapse_microdialysis",
            "Predicted microdialysis time course at the study's dose: extracellular NE in % of "
            "the pre-dose baseline (left axis) and NET occupancy (right axis, dashed).",
            figures_dir,
            relative_to,
        )
    )
    if measured is not None and len(measured):
        fig, (ax,) = new_figure(7.0, 4.4)
        plot_measured_vs_predicted(measured, samples, ax=ax)
        figures.append(
            render_figure(
                fig,
                "synapse_measured_vs_predicted",
                "Dialysate NE measured in this study (mean ± SEM over animals, % of each "
                "animal's baseline, per group) against the synapse model's predicted dialysate "
                "at the study's dose (line: each collection interval's mean, drawn at its end).",
                figures_dir,
                relative_to,
            )
        )
    s = prediction.digest()
    pk = prediction.pk
    facts: list[tuple[str, str]] = []
    if species:
        facts += [
            ("parameter set", species["set"]),
            ("measured (species)", species["measured"]),
            ("illustrative", species["illustrative"]),
            ("assumed or set in the study file", species["other"]),
            ("NET Ki species", species["ki"]),
        ]
    facts += [
        ("NET Ki used", f"{format_conc(prediction.ki_M)} ({ki_note})"),
        ("dose", f"{pk.dose_g_per_kg * 1e3:g} mg/kg i.p."),
        (
            "plasma Cmax (total)",
            f"{format_conc(s['cmax_plasma_total_M'])} at {s['tmax_plasma_s'] / 60:.0f} min",
        ),
        ("peak NET occupancy", f"{100 * s['occupancy_max']:.0f} %"),
        (
            "peak NE",
            f"{s['ne_peak_pct_baseline']:.0f} % of baseline at {s['t_ne_peak_s'] / 60:.0f} min",
        ),
    ]
    if fold_at_exposure is not None and exposure_occupancy is not None:
        facts.append(
            (
                "NE at the study exposure",
                f"{fold_at_exposure:.2f}-fold of basal at {100 * exposure_occupancy:.0f} % "
                "NET occupancy (steady state)",
            )
        )
    samples_table = samples.assign(
        sample_start_min=samples["sample_start_s"] / 60.0,
        sample_end_min=samples["sample_end_s"] / 60.0,
    )[["sample_start_min", "sample_end_min", "ne_M", "ne_pct_baseline", "occupancy"]]
    intro = (
        "Extracellular NE C obeys dC/dt = R(C) - Vmax C / (Km (1 + Cu/Ki) + C) - k_diff C, "
        "with release R(C) = R0 / (1 + (C/EC50)^n) inhibited by alpha2 autoreceptors; the drug "
        "competitively inhibits NET, raising the apparent Km by 1 / (1 - occupancy). Without "
        "feedback NE would rise 1 / (1 - occupancy)-fold; the feedback limits the acute rise to "
        "the 2-4x measured in vivo. One-compartment PK with first-order i.p. absorption drives "
        "the unbound brain concentration. Parameters marked illustrative are round numbers, "
        "not measurements: treat the time course as a prediction to test, not a result.",
    )
    return Section(
        anchor=anchor,
        title="Synapse model: predicted NE response",
        kind="synapse",
        intro=intro,
        facts=tuple(facts),
        figures=tuple(figures),
        tables=(
            Table("Model parameters used", parameters),
            Table(
                "Predicted dialysate samples (mean over each collection interval)",
                samples_table,
                labels={"ne_M": "NE", "ne_pct_baseline": "NE (% baseline)"},
                max_rows=40,
            ),
        ),
    )
