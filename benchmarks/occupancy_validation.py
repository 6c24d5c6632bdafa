"""Validate riverfish.occupancy on data simulated from known psi, theta and p.

For each setting, N data sets are simulated and fitted; the table gives the mean of the
estimates against the truth and the share of 95 % profile-likelihood intervals that
cover the truth. Appends to benchmarks/results/occupancy_validation.md.

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

from riverfish.occupancy import PARAMETERS, fit, simulate  # noqa: E402

#: (sites, samples per site, PCR replicates per sample, psi, theta, p)
SETTINGS = [
    (80, 4, 3, 0.7, 0.5, 0.8),
    (80, 4, 2, 0.7, 0.5, 0.8),
    (100, 3, 2, 0.5, 0.6, 0.6),
    (80, 3, 3, 0.8, 0.4, 0.9),
]


def one(args):
    setting, seed = args
    sites, samples, reps, psi, theta, p = setting
    data = simulate(np.random.default_rng(seed), sites, samples, reps, psi, theta, p)
    f = fit(data)
    return [(f.estimates[k], *f.intervals[k]) for k in PARAMETERS]


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
            cells = []
            for j, name in enumerate(PARAMETERS):
                est = np.array([r[j][0] for r in results])
                cover = np.mean([r[j][1] <= truth[name] <= r[j][2] for r in results])
                cells.append(
                    f"{truth[name]:.2f} | {est.mean():.3f} | {est.mean() - truth[name]:+.3f} | {cover:.3f}"
                )
            sites, samples, reps = setting[:3]
            lines.append(
                f"| {sites} | {samples} | {reps} | {args.datasets} | " + " | ".join(cells) + " |"
            )
            print(lines[-1], flush=True)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
