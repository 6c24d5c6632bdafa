"""Validate riverfish.occupancy on data simulated from known psi, theta and p.

For each setting, N data sets are simulated and fitted; the table gives the mean of the
estimates against the truth and the share of 95 % profile-likelihood intervals that
cover the truth. Settings with one PCR replicate per sample fit the reduced model (site ->
sample): its theta is the per-sample detection theta x p, p is not estimable. A second
table checks detection shared across taxa (:func:`fit_shared`, the workflow's fallback for
taxa with few detections): a basin's taxa with psi spread over 0.2-0.9 and common theta and
p, and each taxon's psi given the shared values. Appends to
benchmarks/results/occupancy_validation.md.

    .venv/bin/python benchmarks/occupancy_validation.py [--datasets 200] [--processes 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))

from riverfish.occupancy import (  # noqa: E402
    PARAMETERS,
    Community,
    fit,
    fit_shared,
    psi_given_detection,
    simulate,
)

#: (sites, samples per site, PCR replicates per sample, psi, theta, p)
SETTINGS = [
    (80, 4, 3, 0.7, 0.5, 0.8),
    (80, 4, 2, 0.7, 0.5, 0.8),
    (100, 3, 2, 0.5, 0.6, 0.6),
    (80, 3, 3, 0.8, 0.4, 0.9),
    (60, 3, 1, 0.6, 0.7, 1.0),
    (40, 2, 1, 0.8, 0.5, 1.0),
]

#: (sites, samples, PCR replicates, taxa, theta, p) of the shared-detection check
SHARED_SETTINGS = [
    (12, 2, 1, 20, 0.7, 1.0),
    (12, 3, 2, 20, 0.6, 0.8),
]


def one(args):
    setting, seed = args
    sites, samples, reps, psi, theta, p = setting
    data = simulate(np.random.default_rng(seed), sites, samples, reps, psi, theta, p)
    f = fit(data)
    nan = (float("nan"), float("nan"))
    return [(f.estimates[k], *f.intervals.get(k, nan)) for k in PARAMETERS]


def one_shared(args):
    setting, seed = args
    sites, samples, reps, n_taxa, theta, p = setting
    rng = np.random.default_rng(seed)
    psis = np.linspace(0.2, 0.9, n_taxa)
    sets = [simulate(rng, sites, samples, reps, psi, theta, p) for psi in psis]
    keep = [k for k, d in enumerate(sets) if d.s.sum() > 0]
    comm = Community(
        sets[0].sites, [str(k) for k in keep], sets[0].n, np.stack([sets[k].s for k in keep])
    )
    f = fit_shared(comm)
    out = [(f.estimates["theta"], *f.intervals["theta"])]
    out.append((f.estimates["p"], *f.intervals.get("p", (float("nan"),) * 2)))
    covered = []
    for k in keep:
        g = psi_given_detection(comm.taxon(keep.index(k)), f.estimates["theta"], f.estimates["p"])
        lo, hi = g.intervals["psi"]
        covered.append((g.estimates["psi"] - psis[k], lo <= psis[k] <= hi))
    return out, covered


def _cells(truth: float, results: list) -> str:
    est = np.array([r[0] for r in results], dtype=float)
    if np.all(np.isnan(est)):
        return f"{truth:.2f} | not estimable | | "
    cover = np.mean([r[1] <= truth <= r[2] for r in results])
    return f"{truth:.2f} | {est.mean():.3f} | {est.mean() - truth:+.3f} | {cover:.3f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", type=int, default=200)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "occupancy_validation.md"
    )
    args = ap.parse_args(argv)
    lines = []
    with Pool(args.processes) as pool:
        for k, setting in enumerate(SETTINGS):
            results = pool.map(one, [(setting, 1000 * k + i) for i in range(args.datasets)])
            truth = dict(zip(PARAMETERS, setting[3:], strict=True))
            sites, samples, reps = setting[:3]
            if reps == 1:  # the reduced model estimates theta x p
                truth["theta"] *= truth["p"]
            cells = [
                _cells(truth[name], [r[j] for r in results]) for j, name in enumerate(PARAMETERS)
            ]
            lines.append(
                f"| {sites} | {samples} | {reps} | {args.datasets} | " + " | ".join(cells) + " |"
            )
            print(lines[-1], flush=True)
        shared_lines = []
        for k, setting in enumerate(SHARED_SETTINGS):
            results = pool.map(
                one_shared, [(setting, 50_000 + 1000 * k + i) for i in range(args.datasets)]
            )
            sites, samples, reps, n_taxa, theta, p = setting
            theta_true = theta * p if reps == 1 else theta
            psi_bias = np.mean([b for _, cov in results for b, _ in cov])
            psi_cover = np.mean([c for _, cov in results for _, c in cov])
            shared_lines.append(
                f"| {sites} | {samples} | {reps} | {n_taxa} | {args.datasets} | "
                + _cells(theta_true, [r[0][0] for r in results])
                + " | "
                + (
                    _cells(p, [r[0][1] for r in results])
                    if reps > 1
                    else "1.00 | not estimable | |"
                )
                + f" | {psi_bias:+.3f} | {psi_cover:.3f} |"
            )
            print(shared_lines[-1], flush=True)
    header = (
        f"\n## {dt.date.today().isoformat()}: {args.datasets} data sets per setting\n\n"
        "| sites | samples | PCR reps | data sets | psi true | mean | bias | 95 % coverage "
        "| theta true | mean | bias | coverage | p true | mean | bias | coverage |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | ---: |\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    new = not args.out.exists()
    with open(args.out, "a") as fh:
        if new:
            fh.write("# Occupancy model validation (benchmarks/occupancy_validation.py)\n")
        fh.write(header + "\n".join(lines) + "\n")
        fh.write(
            "\nDetection shared across a basin's taxa (psi 0.2-0.9 spread over the taxa; psi "
            "of each taxon given the shared theta and p):\n\n"
            "| sites | samples | PCR reps | taxa | data sets | theta true | mean | bias | "
            "coverage | p true | mean | bias | coverage | psi bias | psi coverage |\n"
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
            "| ---: | ---: | ---: |\n" + "\n".join(shared_lines) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
