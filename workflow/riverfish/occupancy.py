"""Multi-scale occupancy model for eDNA: site -> water sample -> PCR replicate.

The model of Nichols et al. (2008) and Dorazio & Erickson (2018, R package
eDNAoccupancy), without covariates: a site is occupied with probability ``psi``; a water
sample of an occupied site holds the species' DNA with probability ``theta``; a PCR
replicate of a sample that holds it detects it with probability ``p``. Fitted by maximum
likelihood (scipy), parameters on the logit scale, with profile-likelihood 95 % intervals
(the parameter's values where twice the log-likelihood drop reaches the chi-square 1-df
quantile, the others re-fitted at each value). Missing samples and replicates are allowed.

With one PCR replicate per sample, ``theta`` and ``p`` cannot be told apart (only their
product is identified): the model then reduces to site -> sample, and ``theta`` is the
probability that a sample of an occupied site gives a detection; ``p`` is reported as not
estimable.

Run as ``python -m riverfish.occupancy FILE.csv`` on a table ``site, sample, pcr1 ... pcrK``
(0/1, ``NA`` for a replicate not run): prints ``parameter, estimate, lower, upper, note``.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import chdtri, expit

from riverfish.errors import InputError

PARAMETERS = ("psi", "theta", "p")
#: logit-scale bound of the search: 0.999998 on the probability scale
_BOUND = 13.0


@dataclass(frozen=True)
class Data:
    """Detections per site and sample: ``n`` PCR replicates run, ``s`` of them positive
    (arrays sites x samples; a sample not taken has n = 0)."""

    sites: list[str]
    n: np.ndarray
    s: np.ndarray

    @property
    def max_replicates(self) -> int:
        return int(self.n.max()) if self.n.size else 0


@dataclass
class Fit:
    """Estimates, profile intervals and the maximised log-likelihood."""

    estimates: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    loglik: float
    notes: dict[str, str] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        rows = []
        for name in PARAMETERS:
            lo, hi = self.intervals.get(name, (math.nan, math.nan))
            rows.append(
                {
                    "parameter": name,
                    "estimate": round(self.estimates.get(name, math.nan), 4),
                    "lower": round(lo, 4),
                    "upper": round(hi, 4),
                    "note": self.notes.get(name, ""),
                }
            )
        return pd.DataFrame(rows)


def read_detections(path: str | Path) -> Data:
    """Read ``site, sample, pcr1 ... pcrK`` (0/1, NA)."""
    path = Path(path)
    table = pd.read_csv(path, dtype={"site": str, "sample": str})
    pcr = [c for c in table.columns if c.lower().startswith("pcr")]
    missing = [c for c in ("site", "sample") if c not in table.columns]
    if missing or not pcr:
        raise InputError(
            f"columns {', '.join(table.columns)}; expected site, sample, pcr1 ... pcrK",
            path=path,
            line=1,
        )
    values = table[pcr].apply(pd.to_numeric, errors="coerce")
    bad = ~(values.isna() | values.isin([0, 1]))
    if bad.any().any():
        row = int(np.flatnonzero(bad.any(axis=1).to_numpy())[0])
        raise InputError(
            f"detections must be 0, 1 or NA; found {table.loc[row, pcr].tolist()}",
            path=path,
            line=row + 2,
        )
    table["_n"] = values.notna().sum(axis=1)
    table["_s"] = values.fillna(0).sum(axis=1)
    return from_counts(table, "site", "sample", "_n", "_s")


def from_counts(table: pd.DataFrame, site: str, sample: str, n: str, s: str) -> Data:
    """Data from one row per site x sample with replicate (n) and positive (s) counts."""
    sites = list(dict.fromkeys(table[site]))
    per_site = [table[table[site] == name] for name in sites]
    width = max((len(g) for g in per_site), default=0)
    nn = np.zeros((len(sites), width))
    ss = np.zeros((len(sites), width))
    for i, g in enumerate(per_site):
        nn[i, : len(g)] = g[n].to_numpy(float)
        ss[i, : len(g)] = g[s].to_numpy(float)
    return Data(sites, nn, ss)


def loglik(data: Data, psi: float, theta, p: float):
    """Log-likelihood of the multi-scale model; ``theta`` may be an array of values (one
    log-likelihood each)."""
    n, s = data.n, data.s
    theta = np.asarray(theta, dtype=float)[..., None, None]
    with np.errstate(divide="ignore"):
        detected = np.where(s > 0, 1.0, 0.0)
        per_sample = theta * p**s * (1.0 - p) ** (n - s) + (1.0 - theta) * (1.0 - detected)
        occupied = np.prod(per_sample, axis=-1)
        none = np.all(s == 0, axis=1)
        site = psi * occupied + (1.0 - psi) * none
        out = np.sum(np.log(np.maximum(site, 1e-300)), axis=-1)
    return float(out) if out.ndim == 0 else out


def _chi2_quantile(level: float) -> float:
    """The chi-square (1 df) quantile of a profile interval (scipy.special: importing
    scipy.stats costs a quarter of a second in every job)."""
    return float(chdtri(1, 1.0 - level))


def _reduced(data: Data) -> bool:
    return data.max_replicates <= 1


def _detection_terms(n: np.ndarray, s: np.ndarray, theta: float, p: float):
    """Per site: log-likelihood of the detections given the site is occupied (``log L``)
    and the probability of no detection there given it is occupied (``P0``)."""
    with np.errstate(divide="ignore"):
        miss = (1.0 - theta) + theta * (1.0 - p) ** n
        per_sample = np.where(s > 0, theta * p**s * (1.0 - p) ** (n - s), miss)
        log_l = np.sum(np.log(np.maximum(per_sample, 1e-300)), axis=-1)
    return log_l, np.prod(miss, axis=-1)


def _psi_given(data: Data, theta: float, p: float) -> tuple[float, float]:
    """The psi that maximises the likelihood for fixed theta and p, and that maximum.

    With D sites with a detection and, at the others, q_i the chance that an occupied site
    gives one, the log-likelihood D log(psi) + sum log(1 - psi q_i) (+ terms free of psi)
    is concave: psi = 1 where its slope at 1 is not negative, else the root of the slope
    (closed form when every undetected site has the same q)."""
    log_l, p0 = _detection_terms(data.n, data.s, theta, p)
    detected = np.any(data.s > 0, axis=1)
    d = int(detected.sum())
    q = 1.0 - p0[~detected]
    q = q[q > 0]
    if d == 0:
        psi = 0.0
    elif np.sum(q / np.maximum(1.0 - q, 1e-300)) <= d:
        psi = 1.0
    elif np.ptp(q) < 1e-12:
        psi = min(1.0, d / (q[0] * (d + q.size)))
    else:
        psi = optimize.brentq(
            lambda v: d / v - np.sum(q / (1.0 - v * q)), 1e-12, 1.0 - 1e-12, xtol=1e-12
        )
    with np.errstate(divide="ignore"):
        value = d * math.log(psi) if d else 0.0
        value += float(np.sum(log_l[detected])) + float(np.sum(np.log1p(-psi * q)))
    return float(psi), value


def _scalar_min(
    f, lo: float = -_BOUND, hi: float = _BOUND, grid: int = 14, many=None, xatol: float = 1e-5
) -> tuple[float, float]:
    """Minimum of a function of one logit-scale value: the best point of a coarse grid,
    then bounded Brent search between its neighbours (a profile can be flat, or have a
    second local optimum a single search would miss). ``many`` evaluates the grid at once
    where given."""
    xs = np.linspace(lo, hi, grid)
    values = list(many(xs)) if many is not None else [f(x) for x in xs]
    k = int(np.argmin(values))
    a, b = xs[max(k - 1, 0)], xs[min(k + 1, grid - 1)]
    res = optimize.minimize_scalar(f, bounds=(a, b), method="bounded", options={"xatol": xatol})
    if res.fun <= values[k]:
        return float(res.x), float(res.fun)
    return float(xs[k]), float(values[k])


def _interval(drop, estimate: float, name: str, notes: dict[str, str]) -> tuple[float, float]:
    """Profile interval on the probability scale: where ``drop`` (twice the log-likelihood
    fall less the chi-square quantile) crosses 0 on either side of the logit-scale
    ``estimate``; a side that never crosses reaches the boundary, and ``notes`` says so."""
    ends = []
    for direction in (-1.0, 1.0):
        edge = direction * _BOUND
        if drop(edge) < 0:
            ends.append(expit(edge))
            notes[name] = "interval reaches the boundary"
        elif (edge - estimate) * direction <= 0:
            ends.append(expit(edge))
        else:
            ends.append(expit(optimize.brentq(drop, estimate, edge, xtol=1e-4)))
    if abs(estimate) >= _BOUND - 1.0:
        side = "1" if estimate > 0 else "0"
        notes[name] = f"estimate at the boundary ({name} -> {side}); interval reaches it"
    return float(ends[0]), float(ends[1])


@dataclass
class _Detection:
    """theta and p fitted with every taxon's psi profiled out: logit-scale estimates, the
    minimised negative log-likelihood and the function behind it."""

    x: list[float]
    nll: float
    concentrated: object
    reduced: bool


def _fit_detection(taxa: list[Data]) -> _Detection:
    """theta and p common to ``taxa`` (one taxon: its own), each taxon at its best psi."""
    reduced = all(_reduced(d) for d in taxa)

    def concentrated(tx: float, px: float | None = None) -> float:
        theta, p = expit(tx), 1.0 if px is None else expit(px)
        return -sum(_psi_given(d, theta, p)[1] for d in taxa)

    if reduced:
        tx, nll = _scalar_min(concentrated)
        return _Detection([tx], nll, concentrated, True)
    best = min(
        (
            optimize.minimize(
                lambda v: concentrated(v[0], v[1]),
                np.array(x0),
                method="L-BFGS-B",
                bounds=[(-_BOUND, _BOUND)] * 2,
            )
            for x0 in ([0.0, 1.0], [2.0, 2.0], [-1.0, 0.0], [1.0, -1.0])
        ),
        key=lambda r: r.fun,
    )
    return _Detection(list(best.x), float(best.fun), concentrated, False)


def _detection_intervals(det: _Detection, crit: float, notes: dict) -> dict:
    """Profile intervals of theta (and p) from the concentrated likelihood."""
    conc, x = det.concentrated, det.x

    def profile(name: str, value: float) -> float:
        if det.reduced:
            return conc(value)
        if name == "theta":
            return min(_scalar_min(lambda v: conc(value, v))[1], conc(value, x[1]))
        return min(_scalar_min(lambda v: conc(v, value))[1], conc(x[0], value))

    names = ("theta",) if det.reduced else ("theta", "p")
    return {
        name: _interval(
            lambda v, name=name: 2.0 * (profile(name, v) - det.nll) - crit, x[i], name, notes
        )
        for i, name in enumerate(names)
    }


def _estimates(det: _Detection) -> dict[str, float]:
    return {
        "theta": float(expit(det.x[0])),
        "p": math.nan if det.reduced else float(expit(det.x[1])),
    }


NOTE_REDUCED = "one PCR replicate per sample: p not estimable (theta = theta x p)"


def fit(data: Data, level: float = 0.95, intervals: bool = True) -> Fit:
    """Maximum-likelihood fit with profile-likelihood intervals (probability scale; none
    when ``intervals`` is false).

    psi is profiled out exactly (:func:`_psi_given`), so the estimates of theta and p and
    their profiles are searches over one or two values; the profile of psi re-fits theta
    (and p) at each value of psi."""
    if data.n.size == 0 or data.n.sum() == 0:
        raise InputError("no detection data: every site has no replicate")
    crit = _chi2_quantile(level)
    det = _fit_detection([data])
    estimates = _estimates(det)
    p_one = 1.0 if det.reduced else estimates["p"]
    psi = _psi_given(data, estimates["theta"], p_one)[0]
    estimates["psi"] = psi
    notes: dict[str, str] = {"p": NOTE_REDUCED} if det.reduced else {}
    bounds: dict[str, tuple[float, float]] = {}
    if intervals:

        def psi_profile(value: float) -> float:
            psi_v = float(expit(value))

            def others(v):
                return -loglik(data, psi_v, expit(v[0]), 1.0 if det.reduced else expit(v[1]))

            if det.reduced:
                # theta on a fine grid at once, then a short search: the value at the
                # maximum is what the profile needs, and it is flat there
                return _scalar_min(
                    lambda v: others([v]),
                    grid=60,
                    many=lambda xs: -loglik(data, psi_v, expit(xs), 1.0),
                    xatol=1e-3,
                )[1]
            return min(
                optimize.minimize(
                    others, np.array(x0), method="L-BFGS-B", bounds=[(-_BOUND, _BOUND)] * 2
                ).fun
                for x0 in (det.x, [0.0, 1.0])
            )

        logit_psi = (
            float(np.log(psi / (1.0 - psi))) if 0 < psi < 1 else math.copysign(_BOUND, psi - 0.5)
        )
        bounds["psi"] = _interval(
            lambda v: 2.0 * (psi_profile(v) - det.nll) - crit,
            float(np.clip(logit_psi, -_BOUND, _BOUND)),
            "psi",
            notes,
        )
        bounds.update(_detection_intervals(det, crit, notes))
    return Fit(estimates, bounds, -det.nll, notes)


# ---------------------------------------------------------------------------------------
# many taxa on the same sites: detection shared across taxa, psi per taxon


@dataclass(frozen=True)
class Community:
    """The detections of several taxa at the same sites and samples: ``n`` PCR replicates
    run per site x sample (shared by every taxon), ``s`` positive ones per taxon x site x
    sample."""

    sites: list[str]
    taxa: list[str]
    n: np.ndarray
    s: np.ndarray

    def taxon(self, index: int) -> Data:
        return Data(self.sites, self.n, self.s[index])


def fit_shared(community: Community, level: float = 0.95) -> Fit:
    """theta and p shared by the taxa of ``community`` (the psi of each taxon profiled out
    exactly), by maximum likelihood with profile intervals. Each taxon's psi given these
    values: :func:`psi_given_detection`."""
    taxa = [community.taxon(k) for k in range(len(community.taxa))]
    det = _fit_detection(taxa)
    notes: dict[str, str] = {"p": NOTE_REDUCED} if det.reduced else {}
    bounds = _detection_intervals(det, _chi2_quantile(level), notes)
    return Fit(_estimates(det), bounds, -det.nll, notes)


def psi_given_detection(data: Data, theta: float, p: float, level: float = 0.95) -> Fit:
    """psi of one taxon with theta and p fixed (e.g. shared across taxa), with its profile
    interval given those values (their own uncertainty is not carried into it)."""
    p = 1.0 if math.isnan(p) else p
    crit = _chi2_quantile(level)
    if not np.any(data.s > 0):
        raise InputError("the taxon has no detection: psi is not estimable")
    psi, top = _psi_given(data, theta, p)
    ends, notes = [], {}
    for edge in (1e-9, 1.0):
        if 2.0 * (top - loglik(data, edge, theta, p)) < crit:
            ends.append(edge if edge == 1.0 else 0.0)
            notes["psi"] = "interval reaches the boundary"
            continue
        ends.append(
            optimize.brentq(
                lambda v: 2.0 * (top - loglik(data, v, theta, p)) - crit, psi, edge, xtol=1e-5
            )
        )
    if psi >= 1.0 - 1e-6:
        notes["psi"] = "estimate at the boundary (psi -> 1); interval reaches it"
    return Fit({"psi": psi, "theta": theta, "p": p}, {"psi": (ends[0], ends[1])}, top, notes)


def miss_probability(theta: float, p: float, replicates: np.ndarray) -> float:
    """Probability that a taxon present at a site is detected in none of its water samples
    (``replicates``: the PCR replicates of each sample)."""
    p = 1.0 if math.isnan(p) else p
    replicates = np.asarray(replicates, dtype=float)
    return float(np.prod((1.0 - theta) + theta * (1.0 - p) ** replicates))


def presence_if_undetected(psi: float, miss: float) -> float:
    """Probability that a taxon is present at a site where it was not detected (Bayes: psi
    times the chance to miss it, over that plus 1 - psi)."""
    if psi <= 0:
        return 0.0
    return float(psi * miss / (psi * miss + 1.0 - psi))


def samples_needed(per_sample: float, target: float = 0.95, most: int = 99) -> float:
    """Field replicates (water samples) needed to detect a present taxon with probability
    ``target``, given its detection probability in one sample; NaN when more than ``most``
    or not estimable."""
    if not per_sample > 0 or math.isnan(per_sample):
        return math.nan
    if per_sample >= 1.0:
        return 1.0
    need = math.ceil(math.log(1.0 - target) / math.log(1.0 - per_sample) - 1e-9)
    return float(max(need, 1)) if need <= most else math.nan


def simulate(
    rng: np.random.Generator,
    sites: int,
    samples: int,
    replicates: int,
    psi: float,
    theta: float,
    p: float,
) -> Data:
    """Detections simulated from the model (every sample with ``replicates`` PCRs)."""
    z = rng.random(sites) < psi
    a = (rng.random((sites, samples)) < theta) & z[:, None]
    s = rng.binomial(replicates, p * a)
    return Data(
        [f"s{i}" for i in range(sites)],
        np.full((sites, samples), float(replicates)),
        s.astype(float),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m riverfish.occupancy", description=__doc__)
    ap.add_argument("file", type=Path, help="CSV: site, sample, pcr1 ... pcrK")
    args = ap.parse_args(argv)
    try:
        result = fit(read_detections(args.file))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result.table().to_csv(sys.stdout, sep="\t", index=False, lineterminator="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
