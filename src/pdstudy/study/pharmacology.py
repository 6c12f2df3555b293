"""The study's pharmacology: exposure -> occupancy, measured vs literature Ki, synapse model, headline.

Runs in the main process after the assay sections, because it uses their
results (the measured NET Ki drives the synapse model when there is one).
"""

from __future__ import annotations

import dataclasses
import math
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pdstudy.errors import InputFileError
from pdstudy.pharmacology.profile import occupancy
from pdstudy.report.model import Headline, Section, Table
from pdstudy.study.handlers._common import write_results_plain
from pdstudy.study.model import RunContext, SectionOutcome, StudySpec
from pdstudy.units import format_conc

__all__ = [
    "PENDING",
    "PharmacologyOutcome",
    "ProfilePart",
    "analyse_pharmacology",
    "analyse_profile",
    "exposure_free_conc",
    "measured_ki",
    "pk_params",
    "synapse_params",
    "synapse_species",
]

#: in vivo read-outs not analysed yet (none: microdialysis and FST/TST are sections; their
#: measured effects are effect lines of their sections)
PENDING: tuple[tuple[str, str], ...] = ()

_SYNAPSE_KEYS = {
    "km": ("km_M", "Km of NE uptake by NET", "M"),
    "vmax": ("vmax_M_per_s", "maximal NET uptake rate", "M/s"),
    "k_diff": ("k_diff_per_s", "clearance not by NET", "1/s"),
    "basal": ("basal_M", "drug-free extracellular NE", "M"),
    "ec50": ("ec50_M", "NE for half-maximal alpha2 feedback", "M"),
    "hill_n": ("hill_n", "Hill coefficient of the alpha2 feedback", ""),
    "feedback": ("feedback", "alpha2-autoreceptor feedback", ""),
}
_FEEDBACK_SOURCE = "model choice (in vivo rises of 2-4x need it)"


def _row(parameter: str, value: str, entry: Any) -> dict[str, str]:
    return {
        "parameter": parameter,
        "value": value,
        "kind": entry.kind,
        "species": entry.species,
        "source": entry.source,
    }


def _given(parameter: str, value: str, where: str) -> dict[str, str]:
    return {
        "parameter": parameter,
        "value": value,
        "kind": "given",
        "species": "-",
        "source": f"study file {where}",
    }


@dataclass(frozen=True, eq=False)
class PharmacologyOutcome:
    """Headline, the profile and synapse sections, methods and parameters of the pharmacology."""

    headline: Headline
    sections: tuple[Section, ...]
    methods: tuple[str, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    ok: bool = True


def exposure_free_conc(spec: StudySpec) -> tuple[float, str, dict[str, Any]]:
    """Free concentration at the targets from ``[study.exposure]``: ``(molar, text, parameters)``."""
    from pdstudy.pharmacology import free_concentration, molecular_weight

    exp = spec.study.get("exposure") or {}
    kp = float(exp.get("brain_plasma_ratio") or 1.0)
    if exp.get("free_conc") is not None:
        e = free_concentration(free_M=float(exp["free_conc"]))
    else:
        value, dim = exp["plasma_conc"]
        if dim == "mass_concentration":
            assert spec.profile is not None
            mw = exp.get("mw_g_per_mol") or molecular_weight(spec.profile)
            e = free_concentration(
                plasma_g_per_L=value, fu=float(exp["fu"]), mw_g_per_mol=float(mw),
                brain_plasma_ratio=kp,
            )  # fmt: skip
        else:
            e = free_concentration(plasma_M=value, fu=float(exp["fu"]), brain_plasma_ratio=kp)
    return e.free_M, e.text, e.parameters


def measured_ki(outcomes: Sequence[SectionOutcome], compound: str) -> pd.DataFrame:
    """Ki measured for ``compound`` by the study's sections, one row per target.

    The ``"ki"`` headline rows of every analysed section (one per independent
    experiment) are pooled per target by :func:`pdstudy.assays.binding.pool_ki`.
    """
    from pdstudy.assays.binding import pool_ki

    frames = [o.ki for o in outcomes if o.ok and o.ki is not None]
    frames = [f for f in frames if len(f)]
    return pool_ki(pd.concat(frames, ignore_index=True) if frames else None, compound)


def synapse_params(spec: StudySpec) -> tuple[Any, pd.DataFrame]:
    """:class:`~pdstudy.pharmacology.SynapseParams` from ``[synapse]`` and a table of their
    sources: ``parameter, value, kind, species, source`` (kind measured / approximate /
    illustrative / assumed / compound, or given in the study file)."""
    from dataclasses import asdict

    from pdstudy.pharmacology.species import species_set

    chosen = species_set(spec.synapse.get("species"))
    given = {k: v for k, v in spec.synapse.items() if v is not None and k in _SYNAPSE_KEYS}
    kwargs = {_SYNAPSE_KEYS[k][0]: v for k, v in given.items()}
    params = chosen.synapse_params(**kwargs)
    rows = []
    for key, (field_name, what, unit) in _SYNAPSE_KEYS.items():
        value = _show(asdict(params)[field_name], unit)
        name = f"{key} ({what})"
        if key in given:
            rows.append(_given(name, value, "[synapse]"))
        elif field_name == "feedback":
            rows.append(
                {
                    "parameter": name,
                    "value": value,
                    "kind": "assumed",
                    "species": "-",
                    "source": _FEEDBACK_SOURCE,
                }
            )
        else:
            rows.append(_row(name, value, chosen.entry(field_name)))
    return params, pd.DataFrame(rows)


def synapse_species(spec: StudySpec) -> Any:
    """The :class:`~pdstudy.pharmacology.species.SpeciesSet` the study's ``[synapse]`` selects."""
    from pdstudy.pharmacology.species import species_set

    return species_set(spec.synapse.get("species"))


def pk_params(spec: StudySpec) -> tuple[Any, pd.DataFrame, dict[str, float]]:
    """:class:`~pdstudy.pharmacology.PKParams` from ``[pk]`` (and the exposure's fu, the
    profile's MW) over the species set of ``[synapse]``, a table of their sources, and the
    time grid settings."""
    chosen = synapse_species(spec)
    pk = {k: v for k, v in spec.pk.items() if v is not None}
    exp = spec.study.get("exposure") or {}
    kwargs: dict[str, Any] = {}
    source: dict[str, str] = {}
    if "dose" in pk:
        kwargs["dose_g_per_kg"] = pk["dose"] * 1e3
    if "absorption_half_life" in pk:
        kwargs["ka_per_s"] = math.log(2) / pk["absorption_half_life"]
    if "elimination_half_life" in pk:
        kwargs["ke_per_s"] = math.log(2) / pk["elimination_half_life"]
    if "volume" in pk:
        kwargs["v_L_per_kg"] = pk["volume"]
    for k in ("dose_g_per_kg", "ka_per_s", "ke_per_s", "v_L_per_kg"):
        if k in kwargs:
            source[k] = "[pk]"
    if "fu" in pk:
        kwargs["fu"], source["fu"] = pk["fu"], "[pk]"
    elif exp.get("fu") is not None:
        kwargs["fu"], source["fu"] = exp["fu"], "[study.exposure]"
    if "brain_plasma_ratio" in pk:
        kwargs["brain_plasma_ratio"] = pk["brain_plasma_ratio"]
        source["brain_plasma_ratio"] = "[pk]"
    profile_mw = None
    if "mw_g_per_mol" in pk:
        kwargs["mw_g_per_mol"], source["mw_g_per_mol"] = pk["mw_g_per_mol"], "[pk]"
    elif spec.profile is not None and spec.profile.attrs.get("mw_g_per_mol"):
        kwargs["mw_g_per_mol"] = profile_mw = float(spec.profile.attrs["mw_g_per_mol"])
    params = chosen.pk_params(**kwargs)
    rows = [
        ("dose", f"{params.dose_g_per_kg * 1e3:g} mg/kg i.p.", "dose_g_per_kg"),
        ("absorption half-life", f"{math.log(2) / params.ka_per_s / 60:.3g} min", "ka_per_s"),
        ("elimination half-life", f"{math.log(2) / params.ke_per_s / 3600:.3g} h", "ke_per_s"),
        ("volume of distribution", f"{params.v_L_per_kg:g} L/kg", "v_L_per_kg"),
        ("unbound fraction fu", f"{params.fu:g}", "fu"),
        ("Kp,uu (unbound brain / plasma)", f"{params.brain_plasma_ratio:g}", "brain_plasma_ratio"),
        ("molecular weight", f"{params.mw_g_per_mol:g} g/mol", "mw_g_per_mol"),
    ]
    out = []
    for name, value, k in rows:
        if k in source:
            out.append(_given(name, value, source[k]))
        elif k == "mw_g_per_mol" and profile_mw is not None:
            out.append(
                {
                    "parameter": name,
                    "value": value,
                    "kind": "compound",
                    "species": "-",
                    "source": "the compound's profile (free base)",
                }
            )
        else:
            out.append(_row(name, value, chosen.entry(k)))
    grid = {k: float(spec.pk[k]) for k in ("baseline", "duration", "sample_interval")}
    return params, pd.DataFrame(out), grid


def species_sentences(species: str, table: pd.DataFrame, ki_species: str) -> dict[str, str]:
    """What the parameter table says, in words: the set used and which values are measured
    (with their species), illustrative, assumed or given; keys ``set``, ``measured``,
    ``illustrative``, ``other`` (assumed / given / compound), ``ki``."""

    def short(p: str) -> str:
        return str(p).split(" (")[0]

    def names(rows: pd.DataFrame, with_species: bool = False) -> str:
        parts = [
            f"{short(r['parameter'])} ({r['species']})"
            if with_species and r["species"] != "-"
            else short(r["parameter"])
            for r in rows.to_dict("records")
        ]
        return ", ".join(parts) if parts else "none"

    kind = table["kind"].astype(str)
    measured = table[kind.isin(("measured", "approximate"))]
    other_species = table[(kind == "illustrative") & (table["species"].astype(str) != "-")]
    illustrative = table[(kind == "illustrative") & (table["species"].astype(str) == "-")]
    rest = table[kind.isin(("assumed", "given"))]
    borrowed = (
        f"; taken from another species and therefore illustrative: {names(other_species, True)}"
        if len(other_species)
        else ""
    )
    return {
        "set": f"{species} parameter set",
        "measured": names(measured, True),
        "illustrative": names(illustrative) + borrowed,
        "other": names(rest),
        "ki": ki_species,
    }


def _show(value: Any, unit: str) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if unit == "M":
        return format_conc(float(value))
    if unit == "M/s":
        return f"{format_conc(float(value))}/s"
    if unit:
        return f"{float(value):g} {unit}"
    return f"{float(value):g}"


def _failed(anchor: str, title: str, kind: str, exc: BaseException) -> Section:
    return Section(
        anchor=anchor,
        title=title,
        kind=kind,
        status="failed",
        error=f"{type(exc).__name__}: {exc}",
        details="".join(traceback.format_exception(exc)),
    )


@dataclass(frozen=True, eq=False)
class ProfilePart:
    """The target-profile part of the pharmacology (needs no assay result, so it can run
    while the assay sections are analysed)."""

    conc_free_M: float
    exposure_text: str
    exposure_parameters: Mapping[str, Any]
    result: Any
    section: Section
    methods: tuple[str, ...]
    parameters: Mapping[str, Any]


def analyse_profile(spec: StudySpec, ctx: RunContext) -> ProfilePart:
    """Occupancy of every target at the study's exposure, liabilities, the occupancy figure.

    Never raises for an analysis problem: it becomes a failed section.
    """
    from pdstudy.pharmacology import compute_profile, liability_table
    from pdstudy.report.pharmacology import profile_section

    profile = spec.profile
    assert profile is not None
    threshold = float(spec.study.get("occupancy_threshold") or 0.5)
    reference = spec.study.get("reference_target")
    start = time.perf_counter()
    cu, exposure_text, exposure_params = exposure_free_conc(spec)
    result = None
    methods: tuple[str, ...] = ()
    try:
        result = compute_profile(profile, cu, reference_target=reference)
        liability = liability_table(result, threshold)
        section = profile_section(
            result,
            liability,
            threshold=threshold,
            exposure=exposure_text,
            figures_dir=ctx.figures_dir,
            relative_to=ctx.out_dir,
        )
        files = write_results_plain(ctx, {"profile": result.to_frame(), "liabilities": liability})
        section = _with_files(section, files)
        methods = (
            f"Target occupancy was predicted as Cu / (Cu + Ki) at the unbound concentration "
            f"Cu = {format_conc(cu)} ({exposure_text}), with Ki values from the profile "
            f"{profile.attrs.get('path', spec.study.get('profile'))} (each with its source and "
            f"status); targets above {100 * threshold:.0f} % occupancy are listed with their "
            "expected liabilities.",
        )
    except Exception as exc:  # noqa: BLE001 - one failing part must not stop the report
        section = _failed("profile", "Target profile", "profile", exc)
    parameters = {
        "source": profile.attrs.get("path", str(spec.study.get("profile"))),
        "reference_target": reference,
        "occupancy_threshold": threshold,
        "elapsed_s": time.perf_counter() - start,
    }
    return ProfilePart(cu, exposure_text, exposure_params, result, section, methods, parameters)


def analyse_pharmacology(
    spec: StudySpec,
    outcomes: Sequence[SectionOutcome],
    ctx: RunContext,
    profile_part: ProfilePart | None = None,
) -> PharmacologyOutcome:
    """Profile at the exposure, measured vs literature Ki, the synapse model and the headline.

    Never raises for an analysis problem: a failing part becomes a failed section.
    """
    from pdstudy.pharmacology import dialysate_samples, merge_measured, simulate_microdialysis
    from pdstudy.report.pharmacology import synapse_section

    compound = str(spec.study["compound"])
    profile = spec.profile
    assert profile is not None
    sections: list[Section] = []
    methods: list[str] = []
    params: dict[str, Any] = {}
    notes: list[str] = []
    ok = True

    part = profile_part if profile_part is not None else analyse_profile(spec, ctx)
    cu, exposure_text, result = part.conc_free_M, part.exposure_text, part.result
    params["exposure"] = part.exposure_parameters
    params["profile"] = part.parameters
    sections.append(part.section)
    methods.extend(part.methods)
    ok = ok and part.section.status != "failed"
    measured = measured_ki(outcomes, compound)
    merged = merge_measured(profile, measured) if len(measured) else None
    if merged is not None:
        files = write_results_plain(ctx, {"ki_measured_vs_literature": merged})
        if part.section.status != "failed":
            sections[-1] = _with_files(sections[-1], files)

    # synapse model, driven by the measured NET Ki when there is one
    net_lit = profile[profile["target"].astype(str).str.casefold() == "net"]
    net_meas = measured[measured["target"].astype(str).str.casefold() == "net"]
    exposure_occ = None
    ne_fold = None
    ki_note = ""
    ki_net = math.nan
    vs_model: list[tuple[str, str]] = []
    behavior_occ: list[tuple[str, str]] = []
    try:
        if len(net_meas):
            ki_net = float(net_meas["ki_M"].iloc[0])
            ki_note = f"measured in this study, n = {int(net_meas['n'].iloc[0])}"
        elif len(net_lit):
            ki_net = float(net_lit["ki_M"].iloc[0])
            ki_note = f"literature, {net_lit['status'].iloc[0]}"
        else:
            raise InputFileError(
                "the profile has no NET Ki and no NET binding was analysed: add NET to the "
                "profile or a [[binding]] section at NET",
                spec.study.get("profile_path"),
            )
        syn, syn_table = synapse_params(spec)
        pk, pk_table, grid = pk_params(spec)
        chosen = synapse_species(spec)
        if len(net_meas):
            ki_species = "measured in this study's NET binding"
        else:
            sp = str(net_lit["species"].iloc[0]) if "species" in net_lit.columns else ""
            ki_species = f"{sp} (the profile)" if sp and sp != "nan" else "species not stated"
        t = np.arange(-grid["baseline"], grid["duration"] + 1.0, 60.0)
        prediction = simulate_microdialysis(syn, pk, ki_net, t_s=t, baseline_s=grid["baseline"])
        samples = dialysate_samples(prediction, grid["sample_interval"])
        exposure_occ = float(occupancy(cu, ki_net))
        table = pd.concat([syn_table, pk_table], ignore_index=True)
        words = species_sentences(chosen.species, table, ki_species)
        section = synapse_section(
            prediction,
            parameters=table,
            samples=samples,
            measured=measured_ne_course(outcomes),
            ki_note=ki_note,
            exposure_occupancy=exposure_occ,
            species=words,
            compound=compound,
            figures_dir=ctx.figures_dir,
            relative_to=ctx.out_dir,
        )
        from pdstudy.pharmacology import fold_change_vs_occupancy

        ne_fold = float(fold_change_vs_occupancy(syn, [exposure_occ])[0])
        files = write_results_plain(
            ctx,
            {
                "synapse_prediction": prediction.to_frame(),
                "synapse_dialysate": samples,
                "synapse_parameters": table,
            },
        )
        sections.append(_with_files(section, files))
        comparison = dialysis_vs_model(outcomes, samples)
        if len(comparison):
            write_results_plain(ctx, {"dialysis_vs_model": comparison})
            vs_model = [
                (
                    f"dialysate NE, measured vs synapse model ({r['group']})",
                    f"peak {r['measured_peak_pct']:.0f} % vs {r['predicted_peak_pct']:.0f} % "
                    f"of baseline; AUC {r['measured_auc_pct_min']:.0f} vs "
                    f"{r['predicted_auc_pct_min']:.0f} % x min",
                )
                for r in comparison.to_dict("records")
            ]
        behavior_occ = _occupancy_at_behavior_tests(outcomes, prediction.to_frame())
        s = prediction.digest()
        methods.append(
            "Extracellular NE was predicted with a model of the noradrenergic synapse: release "
            "with alpha2-autoreceptor feedback, Michaelis-Menten uptake by NET competitively "
            f"inhibited by the unbound drug (NET Ki {format_conc(ki_net)}, {ki_note}), and "
            "first-order diffusional loss, driven by one-compartment PK of a "
            f"{pk.dose_g_per_kg * 1e3:g} mg/kg i.p. dose, with the {words['set']} "
            f"(measured: {words['measured']}; illustrative: {words['illustrative']}; "
            f"assumed or set in the study file: {words['other']}; NET Ki: {words['ki']}); "
            "every parameter and its source is listed in the synapse-model section."
        )
        params["synapse"] = {
            "ki_net_M": ki_net,
            "ki_source": ki_note,
            "species": chosen.species,
            "synapse": s["synapse"],
            "pk": s["pk"],
            "grid_s": grid,
        }
    except Exception as exc:  # noqa: BLE001
        ok = False
        sections.append(_failed("synapse", "Synapse model: predicted NE response", "synapse", exc))

    selectivity = _measured_selectivity(merged, measured)
    if len(selectivity):
        write_results_plain(ctx, {"selectivity_measured": selectivity})
    headline = _headline(
        spec,
        outcomes,
        cu,
        exposure_text,
        result,
        merged,
        measured,
        exposure_occ,
        ne_fold,
        notes,
        ki_note=ki_note if exposure_occ is not None else "",
        ki_net=ki_net if exposure_occ is not None else math.nan,
    )
    if spec.study.get("truth"):
        truth = _truth_section(spec, outcomes, ctx)
        ok = ok and truth.status != "failed"
        sections.append(truth)
    extra = tuple(vs_model) + tuple(behavior_occ)
    if extra:
        headline = dataclasses.replace(headline, effects=headline.effects + extra)
    return PharmacologyOutcome(
        headline=headline,
        sections=tuple(sections),
        methods=tuple(methods),
        parameters=params,
        ok=ok,
    )


def measured_ne_course(outcomes: Sequence[SectionOutcome]) -> pd.DataFrame:
    """Dialysate NE in % of baseline of every microdialysis section: per group and sample time,
    the mean and SEM over animals (rows marked excluded are left out).

    Columns ``section``, ``group``, ``time_s``, ``n``, ``mean_pct``, ``sem_pct``.
    """
    parts = []
    for o in outcomes:
        if not (o.ok and o.kind == "microdialysis"):
            continue
        pct = o.result.percent_baseline
        ne = pct[pct["analyte"] == "NE"]
        if "excluded" in ne.columns:
            ne = ne[~ne["excluded"].fillna(False).astype(bool)]
        ne = ne[np.isfinite(pd.to_numeric(ne["pct_baseline"], errors="coerce"))]
        g = ne.groupby(["group", "time_s"])["pct_baseline"]
        agg = g.agg(n="count", mean_pct="mean", sem_pct="sem").reset_index()
        agg.insert(0, "section", o.key)
        parts.append(agg)
    cols = ["section", "group", "time_s", "n", "mean_pct", "sem_pct"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def dialysis_vs_model(outcomes: Sequence[SectionOutcome], predicted: pd.DataFrame) -> pd.DataFrame:
    """Measured NE % baseline of each dosed group of the microdialysis sections beside the
    synapse model's dialysate prediction: peak and AUC (% x min above 100 %, trapezoid) over
    the measured post-dose sample times (the prediction's sample means at those times)."""
    rows = []
    post = predicted[predicted["sample_start_s"] >= 0]
    for o in outcomes:
        if not (o.ok and o.kind == "microdialysis"):
            continue
        res = o.result
        pct = res.percent_baseline
        ne = pct[(pct["analyte"] == "NE") & (pct["time_s"] > 0)]
        for group, part in ne.groupby("group"):
            if group == res.settings.get("control"):
                continue
            mean = part.groupby("time_s")["pct_baseline"].mean()
            times = mean.index.to_numpy(dtype=float)
            pred = np.interp(times, post["sample_end_s"], post["ne_pct_baseline"])
            auc = res.auc[(res.auc["analyte"] == "NE") & (res.auc["group"] == group)]
            rows.append(
                {
                    "section": o.key,
                    "group": group,
                    "n": int(part["animal"].nunique()),
                    "measured_peak_pct": float(mean.max()),
                    "predicted_peak_pct": float(pred.max()),
                    "measured_auc_pct_min": float(auc["auc_pct_min"].mean()),
                    "predicted_auc_pct_min": float(np.trapezoid(pred - 100, times / 60)),
                }
            )
    return pd.DataFrame(rows)


def _occupancy_at_behavior_tests(
    outcomes: Sequence[SectionOutcome], course: pd.DataFrame
) -> list[tuple[str, str]]:
    """Predicted NET occupancy (the [pk] time course) at the middle of each FST/TST scoring
    window, dosing at time 0 and the test after the section's pre-treatment time."""
    out = []
    for o in outcomes:
        if o.kind not in ("fst", "tst") or not o.ok:
            continue
        p = o.parameters
        t = float(p.get("pretreatment", 1800.0)) + 0.5 * (
            float(p.get("window_start", 0.0)) + float(p.get("window_end", 360.0))
        )
        occ = float(np.interp(t, course["time_s"], course["occupancy"]))
        out.append(
            (
                f"predicted NET occupancy during the {o.name}",
                f"{100 * occ:.0f} % at {t / 60:.0f} min after dosing (study PK)",
            )
        )
    return out


def _truth_section(spec: StudySpec, outcomes: Sequence[SectionOutcome], ctx: RunContext) -> Section:
    """The simulated truth beside the recovered values (``[study] truth``)."""
    from pdstudy.study.truth import read_truth_checks, truth_vs_recovered

    title = "Simulation check: true vs recovered values"
    try:
        table = truth_vs_recovered(read_truth_checks(spec.study["truth"]), outcomes)
    except Exception as exc:  # noqa: BLE001
        return _failed("truth", title, "truth", exc)
    files = write_results_plain(ctx, {"truth_vs_recovered": table})
    covered = table["true_in_ci"].dropna()
    n_cov = int(covered.astype(bool).sum())
    return Section(
        anchor="truth",
        title=title,
        kind="truth",
        key="",
        status="ok"
        if n_cov == len(covered) and not table["note"].astype(bool).any()
        else "flagged",
        intro=(
            "Every raw file of this study was simulated. Each quantity the simulator was given "
            "is shown beside the value the analysis recovered from the files, with its 95 % CI.",
        ),
        facts=(("true value inside the 95 % CI", f"{n_cov} of {len(covered)} quantities"),),
        tables=(
            Table(
                "True vs recovered",
                table,
                labels={
                    "true_value": "true",
                    "ci": "95 % CI",
                    "recovered_over_true": "recovered / true",
                    "true_in_ci": "true in CI",
                },
                note="About 1 in 20 intervals is expected to miss the truth by chance.",
            ),
        ),
        files=files,
    )


def _measured_selectivity(merged: pd.DataFrame | None, measured: pd.DataFrame) -> pd.DataFrame:
    """Measured Ki(target) / Ki(NET) with its CI, beside the literature ratio, per target."""
    from pdstudy.assays.binding import selectivity_ratios

    sel = selectivity_ratios(measured, "NET")
    if sel.empty:
        return pd.DataFrame(
            columns=[
                "target",
                "selectivity_measured",
                "selectivity_ci_low",
                "selectivity_ci_high",
                "selectivity_literature",
            ]
        )
    sel = sel.rename(columns={"selectivity": "selectivity_measured"})
    lit = math.nan
    lit_ki: dict[str, float] = {}
    if merged is not None and "literature_ki_M" in merged.columns:
        lit_ki = {
            str(t).casefold(): float(k)
            for t, k in zip(merged["target"], merged["literature_ki_M"], strict=True)
        }
        lit = lit_ki.get("net", math.nan)
    sel["selectivity_literature"] = [
        lit_ki.get(str(t).casefold(), math.nan) / lit for t in sel["target"]
    ]
    return sel[
        [
            "target",
            "selectivity_measured",
            "selectivity_ci_low",
            "selectivity_ci_high",
            "selectivity_literature",
        ]
    ].reset_index(drop=True)


def _with_files(section: Section, files: tuple[str, ...]) -> Section:
    from dataclasses import replace

    return replace(section, files=section.files + files)


def _headline(
    spec: StudySpec,
    outcomes: Sequence[SectionOutcome],
    cu: float,
    exposure_text: str,
    result: Any,
    merged: pd.DataFrame | None,
    measured: pd.DataFrame,
    exposure_occ: float | None,
    ne_fold: float | None,
    notes: list[str],
    *,
    ki_note: str = "",
    ki_net: float = math.nan,
) -> Headline:
    n_ok = sum(o.ok for o in outcomes)
    failed = [o for o in outcomes if not o.ok]
    facts = [
        ("compound", str(spec.study["compound"])),
        ("exposure", f"Cu = {format_conc(cu)} unbound ({exposure_text})"),
        (
            "assays",
            f"{len(outcomes)} section(s): {n_ok} analysed"
            + (f", {len(failed)} failed" if failed else ""),
        ),
    ]
    if exposure_occ is not None:
        which = f" (NET Ki {format_conc(ki_net)}, {ki_note})" if ki_note else ""
        facts.append(("NET occupancy at the exposure", f"{100 * exposure_occ:.0f} %{which}"))
    ki_table = None
    if merged is not None and len(measured):
        rows = merged[merged["measured_ki_M"].notna()]
        cols = [
            "target",
            "measured_ki_M",
            "measured_ki_ci_low_M",
            "measured_ki_ci_high_M",
            "measured_pki",
            "n",
            "literature_ki_M",
            "status",
            "fold_vs_literature",
            "literature_in_ci",
        ]
        sel = _measured_selectivity(merged, measured)
        if len(sel):
            rows = rows.merge(sel, on="target", how="left")
            cols += [
                "selectivity_measured",
                "selectivity_ci_low",
                "selectivity_ci_high",
                "selectivity_literature",
            ]
        ki_table = Table(
            f"Ki of {spec.study['compound']}: measured in this study (95 % CI) beside the "
            "literature",
            rows[cols].reset_index(drop=True),
            labels={
                "status": "literature status",
                "selectivity_measured": "selectivity vs NET (measured)",
                "selectivity_ci_low": "selectivity CI low",
                "selectivity_ci_high": "selectivity CI high",
                "selectivity_literature": "selectivity vs NET (literature)",
            },
            note="Measured: geometric mean over independent experiments with a t-based 95 % CI "
            "(one experiment: its profile-likelihood CI). Selectivity: Ki(target) / Ki(NET), "
            "how many-fold weaker than at NET; its 95 % CI is Welch's on the difference of mean "
            "pKi. Literature status: verified / approximate / vendor-reported (unverified).",
        )
        for rec in rows.to_dict("records"):
            fold = rec["fold_vs_literature"]
            if np.isfinite(fold) and (fold > 3 or fold < 1 / 3):
                notes.append(
                    f"{rec['target']}: measured Ki differs {fold:.1f}-fold from the literature "
                    f"value ({rec['status']})."
                )
    else:
        notes.append(
            f"No competition binding of {spec.study['compound']} was analysed (check that the "
            "layouts name the compound as the study does): occupancies use literature Ki values."
        )
    occ_table = None
    if result is not None:
        frame = result.to_frame()
        meas = {
            str(t).casefold(): k for t, k in zip(measured["target"], measured["ki_M"], strict=True)
        }
        frame["measured_ki_M"] = [meas.get(str(t).casefold(), np.nan) for t in frame["target"]]
        frame["occupancy_measured"] = [
            float(occupancy(cu, k)) if np.isfinite(k) else np.nan for k in frame["measured_ki_M"]
        ]
        frame = frame.sort_values("occupancy", ascending=False, kind="stable")
        shown = frame[(frame["occupancy"] >= 0.05) | frame["measured_ki_M"].notna()]
        hidden = len(frame) - len(shown)
        occ_table = Table(
            f"Predicted occupancy at Cu = {format_conc(cu)}",
            shown[
                ["target", "ki_M", "occupancy", "measured_ki_M", "occupancy_measured", "status"]
            ].reset_index(drop=True),
            labels={
                "ki_M": "literature Ki",
                "occupancy": "occupancy (literature Ki)",
                "occupancy_measured": "occupancy (measured Ki)",
                "status": "literature status",
            },
            note=(
                f"{hidden} other target(s) below 5 % occupancy (see the target profile)."
                if hidden
                else ""
            ),
        )
        vendor = [
            t for t, s in zip(result.targets, result.status, strict=True) if s == "vendor-reported"
        ]
        if vendor:
            notes.append(
                f"Ki values of {', '.join(vendor)} are vendor-reported with no primary source: "
                "their occupancies are unverified."
            )
    effects: list[tuple[str, str]] = []
    for o in outcomes:
        if o.ok:
            effects.extend(o.effects)
    if ne_fold is not None and exposure_occ is not None:
        effects.append(
            (
                "predicted extracellular NE (synapse model)",
                f"{ne_fold:.2f}-fold of basal at {100 * exposure_occ:.0f} % NET occupancy "
                "(steady state; see the synapse-model section)",
            )
        )
    for o in failed:
        notes.append(f"{o.name} ({o.key}) failed: {o.section.error}")
    return Headline(
        facts=tuple(facts),
        ki_table=ki_table,
        occupancy_table=occ_table,
        effects=tuple(effects),
        pending=PENDING,
        notes=tuple(notes),
    )
