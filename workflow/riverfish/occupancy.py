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
from scipy import optimize, stats
from scipy.special import expit

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


def loglik(data: Data, psi: float, theta: float, p: float) -> float:
    """Log-likelihood of the multi-scale model."""
    n, s = data.n, data.s
    with np.errstate(divide="ignore"):
        detected = np.where(s > 0, 1.0, 0.0)
        per_sample = theta * p**s * (1.0 - p) ** (n - s) + (1.0 - theta) * (1.0 - detected)
        occupied = np.prod(per_sample, axis=1)
        none = np.all(s == 0, axis=1)
        site = psi * occupied + (1.0 - psi) * none
        return float(np.sum(np.log(np.maximum(site, 1e-300))))


def _reduced(data: Data) -> bool:
    return data.max_replicates <= 1


def _negative(x: np.ndarray, data: Data, fixed: dict[int, float]) -> float:
    full = _full(x, fixed, 2 if _reduced(data) else 3)
    psi, theta = expit(full[0]), expit(full[1])
    p = expit(full[2]) if len(full) > 2 else 1.0
    return -loglik(data, psi, theta, p)


def _full(x: np.ndarray, fixed: dict[int, float], k: int) -> np.ndarray:
    out, free = np.empty(k), iter(x)
    for i in range(k):
        out[i] = fixed[i] if i in fixed else next(free)
    return out


def _maximise(
    data: Data, fixed: dict[int, float], starts: list[np.ndarray]
) -> tuple[np.ndarray, float]:
    best_x, best = None, math.inf
    bounds = [(-_BOUND, _BOUND)] * len(starts[0])
    for x0 in starts:
        if len(x0) == 0:
            value = _negative(np.array([]), data, fixed)
            if value < best:
                best_x, best = np.array([]), value
            continue
        res = optimize.minimize(_negative, x0, args=(data, fixed), method="L-BFGS-B", bounds=bounds)
        if res.fun < best:
            best_x, best = res.x, float(res.fun)
    return best_x, best


def fit(data: Data, level: float = 0.95, intervals: bool = True) -> Fit:
    """Maximum-likelihood fit with profile-likelihood intervals (probability scale; none
    when ``intervals`` is false)."""
    if data.n.size == 0 or data.n.sum() == 0:
        raise InputError("no detection data: every site has no replicate")
    crit = float(stats.chi2.ppf(level, df=1))
    k = 2 if _reduced(data) else 3
    grid = [np.array(v) for v in ([0.5, 0.0, 1.0], [2.0, -1.0, 2.0], [-1.0, 1.0, 0.0])]
    starts = [g[:k] for g in grid]
    x, nll = _maximise(data, {}, starts)
    names = PARAMETERS[:k]
    estimates = {n: float(expit(v)) for n, v in zip(names, x, strict=True)}
    bounds, notes = {}, {}
    for i, name in enumerate(names if intervals else ()):

        def drop(value, i=i):
            # from the maximum, and from the middle of the space: where psi sits on its
            # boundary (few sites) the warm start alone can stop short of the profile
            starts_i = [np.delete(x, i), np.delete(starts[0], i)]
            _, prof = _maximise(data, {i: value}, starts_i)
            return 2.0 * (prof - nll) - crit

        ends = []
        for direction in (-1.0, 1.0):
            edge = direction * _BOUND
            if drop(edge) < 0:
                ends.append(expit(edge))
                notes[name] = "interval reaches the boundary"
                continue
            root = optimize.brentq(drop, x[i], edge, xtol=1e-4)
            ends.append(expit(root))
        bounds[name] = (float(ends[0]), float(ends[1]))
        if abs(x[i]) >= _BOUND - 1.0:
            side = "1" if x[i] > 0 else "0"
            notes[name] = f"estimate at the boundary ({name} -> {side}); interval reaches it"
    if k == 2:
        estimates["p"] = math.nan
        notes["p"] = "one PCR replicate per sample: p not estimable (theta = theta x p)"
    return Fit(estimates, bounds, -nll, notes)


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
