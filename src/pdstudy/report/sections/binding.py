"""The report section of a ``[[binding]]`` (competition) result."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import pandas as pd

from pdstudy.assays.curve_options import ci_words, fit_options_text
from pdstudy.assays.plates import procedure_text
from pdstudy.report.figures import new_figure
from pdstudy.report.format import model_parameters_text
from pdstudy.report.model import Figure, Section, Table
from pdstudy.report.sections import FigureSpec, SectionInfo, files_text, residual_figure
from pdstudy.units import conc_text

__all__ = [
    "MAX_CURVE_FIGURES",
    "TITLE",
    "build",
    "effects",
    "fit_text",
    "figures",
    "parameter_labels",
    "qc_table",
]

TITLE = "Competition binding"
#: figures of single curves drawn per section (the overlay shows them all)
MAX_CURVE_FIGURES = 6

_USABLE = ("converged", "at_bound")


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


def figures(result: Any, info: SectionInfo) -> list[FigureSpec]:
    """The overlay of every curve, then up to :data:`MAX_CURVE_FIGURES` single curves."""
    from pdstudy.assays.binding import plot_competition

    curves = result.curves
    if result.fits is None or not len(curves):
        return []
    ci = ci_words(result.options.get("confidence", 0.95))
    band = ci.replace(" CI", " confidence band")

    def overlay() -> Any:
        fig, (ax,) = new_figure(7.0, 4.6)
        plot_competition(result, ax=ax)
        return fig

    def single(i: int) -> Any:
        fig, (ax,) = new_figure(5.6, 4.2)
        plot_competition(result, curve=i, ax=ax)
        return fig

    out = []
    if len(curves) > 1:
        out.append(
            FigureSpec(
                f"{info.slug}_all",
                "All competition curves of the section (mean ± SD of % specific "
                f"binding per concentration, fitted curve, {band}).",
                overlay,
            )
        )

    out.append(residual_figure(result.fits, info.slug, "% specific binding"))
    for i in range(min(len(curves), MAX_CURVE_FIGURES)):
        rec = curves.iloc[i]
        if rec["status"] == "excluded":
            out.append(
                FigureSpec(
                    f"{info.slug}_curve{i + 1}",
                    f"Experiment {rec['experiment']}, {rec['compound']} at {rec['target']}: "
                    f"excluded ({rec['exclude_reason']}); its wells as open circles, not fitted.",
                    partial(single, i),
                )
            )
            continue
        out.append(
            FigureSpec(
                f"{info.slug}_curve{i + 1}",
                f"Experiment {rec['experiment']}, {rec['compound']} at {rec['target']}: "
                "% specific binding (mean ± SD of the replicate wells), the chosen model "
                f"({rec['model']}) with its {band}, excluded wells (declared or "
                f"ROUT) as open circles, and Ki with its {ci}.",
                partial(single, i),
            )
        )
    return out


def _facts(
    curves: pd.DataFrame, aggregate: pd.DataFrame, level: float = 0.95
) -> list[tuple[str, str]]:
    ci = ci_words(level)
    facts: list[tuple[str, str]] = []
    for agg in aggregate.to_dict("records"):
        label = f"{agg['compound']} at {agg['target']}"
        if agg["n"] >= 2:
            text = (
                f"pKi {agg['pki_mean']:.2f} ± {agg['pki_sem']:.2f} (mean ± SEM, n = {agg['n']}); "
                f"Ki {conc_text(agg['ki_geomean_M'])} ({ci} {conc_text(agg['ki_ci_low_M'])}–"
                f"{conc_text(agg['ki_ci_high_M'])})"
            )
        elif agg["n"] == 1:
            one = curves[
                (curves["compound"].astype(str) == str(agg["compound"]))
                & (curves["target"].astype(str) == str(agg["target"]))
                & curves["status"].isin(_USABLE)
            ].iloc[0]
            text = (
                f"pKi {agg['pki_mean']:.2f}, Ki {conc_text(one['ki_M'])} ({ci} "
                f"{conc_text(one['ki_ci_low_M'])}–{conc_text(one['ki_ci_high_M'])}; n = 1)"
            )
        else:
            text = "no usable curve"
        facts.append((label, text))
    return facts


def parameter_labels(level: float = 0.95) -> dict[str, str]:
    """Headers of the reported model's parameters (as text with their CIs at ``level``)."""
    ci = ci_words(level)
    return {
        "hill_text": f"Hill slope ({ci})",
        "bottom_text": f"bottom, % ({ci})",
        "top_text": f"top, % ({ci})",
    }


#: headers of the reported model's parameters at the default level
PARAMETER_LABELS = parameter_labels()


def fit_text(options: Mapping[str, Any], response: str, level_key: str = "confidence") -> str:
    """The curve model and what was held of a result, as a Methods clause (the sentence that
    uses it states the CI level with the kind of each interval)."""
    return fit_options_text(
        str(options.get("model", "auto")),
        options.get("fixed") or {},
        float(options.get(level_key, 0.95)),
        response=response,
        alpha=float(options.get("alpha", 0.05)),
        level_words=False,
    )


def _present(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    return [c for c in columns if c in frame.columns]


def build(
    result: Any, info: SectionInfo, figures: tuple[Figure, ...], files: tuple[str, ...]
) -> Section:
    """The section: Ki per experiment and combined, plate QC, QC flags, methods."""
    v = info.values
    tables = result.tables
    curves, aggregate = tables["curves"], tables["aggregate"]
    qc = qc_table(curves, result.qc)
    status = "flagged" if qc is not None else "ok"
    if len(curves) and not curves["status"].isin(_USABLE).all():
        status = "flagged"
    lig = v.get("radioligand_conc")
    kd = v.get("kd")
    target = v.get("target") or ", ".join(
        dict.fromkeys(curves.get("target", pd.Series()).astype(str))
    )
    radioligand = v.get("radioligand", "radioligand")
    plates = v.get("plates", [])
    level = float(result.options.get("confidence", 0.95))
    pct = f"{100 * level:.3g} %"
    methods = (
        f"Competition binding ({info.name}): {radioligand} at {conc_text(lig)} "
        f"(Kd {conc_text(kd)}) at {target}, {len(plates)} plate file(s) "
        f"({files_text(plates, info.study_dir)}), each an independent experiment. Specific "
        "binding was total minus the mean of the nonspecific-binding wells and expressed as % of "
        "the specific window. Curves were fitted by nonlinear regression to "
        f"{fit_text(result.options, '% specific binding')}"
        f"{'; a two-site model was compared' if v.get('two_site') else ''}; "
        f"{_weighting_words(result.options, v)}; "
        + (f"ROUT outlier removal (Q = {100 * v['rout_q']:g} %); " if v.get("rout") else "")
        + "Ki and IC50 come from the same model for each curve: with one site, log Ki was fitted "
        "directly in the Cheng-Prusoff form Ki = IC50 / (1 + [L]/Kd); with a variable slope, Ki "
        "is that fit's IC50 / (1 + [L]/Kd), flagged because Cheng-Prusoff assumes a slope of 1; "
        f"profile-likelihood {pct} CIs for IC50 and Ki, asymptotic ones for the Hill slope and "
        "the plateaus. pKi values of independent experiments are reported as mean ± SEM and "
        f"the geometric-mean Ki with a t-based {pct} CI."
    )
    procedure = procedure_text(v)
    if procedure:
        methods = f"{methods} {procedure}"
    curves = model_parameters_text(curves)
    shown = _present(
        curves,
        (
            "experiment",
            "compound",
            "target",
            "model",
            "ic50_M",
            "hill_text",
            "bottom_text",
            "top_text",
            "ki_M",
            "ki_ci_low_M",
            "ki_ci_high_M",
            "pki",
            "status",
            "flags",
        ),
    )
    plate_cols = _present(
        result.qc,
        (
            "plate",
            "total_mean",
            "nsb_mean",
            "nsb_pct_of_total",
            "window_cpm",
            "z_prime",
            "cv_median_pct",
            "bound_fraction",
            "flags",
        ),
    )
    shown_tables = [
        Table(
            "Curves (one per experiment)",
            curves[shown],
            labels=parameter_labels(level),
            note="Hill slope, bottom and top are those of the model each row reports, with "
            f"{pct} CIs (asymptotic); the one-site model fixes the Hill slope at -1, and a "
            "value held by the analysis is shown as fixed (the variable-slope estimate is in "
            "the CSV as hill_four_pl).",
        )
    ]
    if len(aggregate):
        shown_tables.append(
            Table(
                "Independent experiments combined",
                aggregate[
                    _present(
                        aggregate,
                        (
                            "compound",
                            "target",
                            "n",
                            "pki_mean",
                            "pki_sem",
                            "ki_geomean_M",
                            "ki_ci_low_M",
                            "ki_ci_high_M",
                            "experiments",
                        ),
                    )
                ],
                labels={
                    "pki_mean": "pKi (mean)",
                    "pki_sem": "SEM",
                    "ki_geomean_M": "Ki (geometric mean)",
                },
            )
        )
    shown_tables.append(
        Table(
            "Plate QC",
            result.qc[plate_cols],
            labels={"bound_fraction": "radioligand bound (fraction)"},
        )
    )
    return Section(
        anchor=info.slug,
        title=info.title(TITLE),
        kind=info.kind,
        key=info.key,
        status=status,
        intro=(
            f"{radioligand} ({conc_text(lig)}, Kd {conc_text(kd)}) "
            f"displaced by the test compound from {target}; {len(curves)} curve(s) from "
            f"{len(plates)} plate file(s).",
        ),
        facts=tuple(_facts(curves, aggregate, level)),
        figures=figures,
        tables=tuple(shown_tables),
        qc=qc,
        files=files,
        methods=methods,
        elapsed_s=info.elapsed_s,
    )


def effects(result: Any, info: SectionInfo) -> tuple[tuple[str, str], ...]:
    """None: binding Ki goes to the headline's Ki table (through ``headline_rows``)."""
    return ()


def _weighting_words(options: Mapping[str, Any], values: Mapping[str, Any]) -> str:
    """The weighting in a pharmacologist's words (the analysis records them)."""
    words = options.get("weighting_text")
    if words:
        return str(words)
    return f"{options.get('weighting', values.get('weighting'))} weighting"
