"""Unweighted competition binding equals R's ``minpack.lm::nlsLM`` to 1e-6 in pKi and its CI.

With ``weighting="none"`` and ROUT off (the default), pdstudy fits the
one-site Ki form to % specific binding by ordinary least squares and profiles
log Ki with Prism's criterion SS <= SSmin (1 + F(0.95; 1, df) / df). R fits the
same model to the same data with ``nlsLM`` and finds the same profile limits
with ``uniroot`` on refits at fixed log Ki.
"""

from __future__ import annotations

import numpy as np
import pytest

from pdstudy.assays.binding import analyze_competition
from pdstudy.design import competition_layout, concentration_series
from pdstudy.simulate import simulate_competition

KD, LIG = 0.8e-9, 1e-9

# (conc_M, pct_specific) of the competition wells of the plate below, as pdstudy fits them
POINTS = [
    (2.000564336293789e-07, 1.4105085698229831),
    (2.000564336293789e-07, 0.4158471480753014),
    (2.000564336293789e-07, 0.6518685023883106),
    (6.326339908391429e-08, 2.641191345883674),
    (6.326339908391429e-08, 2.742343354874964),
    (6.326339908391429e-08, 3.0963753863444783),
    (2.0005643362937888e-08, 6.2995223377353184),
    (2.0005643362937888e-08, 6.434391683057037),
    (2.0005643362937888e-08, 5.945490306265804),
    (6.3263399083914295e-09, 13.4981736442821),
    (6.3263399083914295e-09, 14.779432424838435),
    (6.3263399083914295e-09, 14.543411070525426),
    (2.000564336293789e-09, 33.94773812868783),
    (2.000564336293789e-09, 36.96543973026131),
    (2.000564336293789e-09, 34.80753020511379),
    (6.326339908391429e-10, 61.84883394211856),
    (6.326339908391429e-10, 59.67406574880584),
    (6.326339908391429e-10, 58.78055633604944),
    (2.0005643362937888e-10, 91.99213262152291),
    (2.0005643362937888e-10, 89.69935375105368),
    (2.0005643362937888e-10, 83.93368923855016),
    (6.32633990839143e-11, 86.02416409103681),
    (6.32633990839143e-11, 95.92020230401799),
    (6.32633990839143e-11, 97.23517842090476),
    (2.0005643362937888e-11, 107.51896600168587),
    (2.0005643362937888e-11, 103.0345602697387),
    (2.0005643362937888e-11, 99.40994661421749),
    (6.326339908391429e-12, 96.4933970216353),
    (6.326339908391429e-12, 105.22618713121665),
    (6.326339908391429e-12, 100.91036808092161),
]

# R version 4.2.2, minpack.lm 1.2-3; d = POINTS as a data frame (conc_M, pct_specific):
#   library(minpack.lm)
#   d <- read.csv("/tmp/nw/comp_ref.csv")
#   d$x <- log10(d$conc_M)
#   L <- 1e-9; Kd <- 0.8e-9
#   f <- y ~ bottom + (top - bottom) / (1 + 10^(x - log10(10^logki * (1 + L / Kd))))
#   d$y <- d$pct_specific
#   ctl <- nls.lm.control(ftol = 1e-15, ptol = 1e-15, maxiter = 500)
#   fit <- nlsLM(f, data = d, start = list(bottom = 0, top = 100, logki = -9), control = ctl)
#   ssmin <- sum(resid(fit)^2); df <- nrow(d) - 3
#   target <- ssmin * (1 + qf(0.95, 1, df) / df)
#   prof <- function(lk) {
#     g <- nlsLM(y ~ bottom + (top - bottom) / (1 + 10^(x - log10(10^lk * (1 + L / Kd)))),
#                data = d, start = as.list(coef(fit)[c("bottom", "top")]), control = ctl)
#     sum(resid(g)^2) - target
#   }
#   lk <- coef(fit)[["logki"]]
#   lo <- uniroot(prof, c(lk - 2, lk), tol = 1e-12)$root
#   hi <- uniroot(prof, c(lk, lk + 2), tol = 1e-12)$root
#   cat(formatC(c(pki = -lk, pki_ci_low = -hi, pki_ci_high = -lo), digits = 12, format = "f"), "\n")
#   #> 9.367800402409 9.303112014536 9.432409185438
R_PKI = {"pki": 9.367800402409, "pki_ci_low": 9.303112014536, "pki_ci_high": 9.432409185438}


def test_unweighted_pki_and_ci_equal_r_nlslm():
    lay = competition_layout(
        concentration_series(0.5e-9, radioligand_M=LIG, kd_M=KD, n=10),
        compound="norclomipramine",
        replicates=3,
    )
    plate = simulate_competition(lay, ki_M=0.5e-9, kd_M=KD, radioligand_M=LIG, seed=20261203)
    res = analyze_competition(plate, radioligand_M=LIG, kd_M=KD, weighting="none")
    pts = res.points[res.points["role"] == "competition"]
    np.testing.assert_allclose(pts[["conc_M", "pct_specific"]].to_numpy(), POINTS, rtol=1e-12)
    row = res.curves.iloc[0]
    assert row["model"] == "one_site" and row["n_excluded"] == 0
    for col, value in R_PKI.items():
        assert row[col] == pytest.approx(value, abs=1e-6), col
