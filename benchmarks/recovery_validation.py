"""How often the recovery verdict is right, and how often it claims a change that is not
there, on programmes simulated with known truth.

Each data set: a reference site with 20 taxa and an impacted site with a given number of
taxa per campaign (3 campaigns), each taxon detected in a water sample with its own
probability (uniform 0.3-0.9), m water samples per site. "No change" keeps the impacted
site at 10 taxa; "recovering" goes 10 -> 13 -> 16; "declining" 16 -> 13 -> 10. The table
gives the share of each verdict. Appends to benchmarks/results/recovery_validation.md.

    .venv/bin/python benchmarks/recovery_validation.py [--datasets 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))

from riverfish import recovery  # noqa: E402

SCENARIOS = {
    "no change": [10, 10, 10],
    "recovering": [10, 13, 16],
    "declining": [16, 13, 10],
}


def programme(rng: np.random.Generator, m: int, impacted: list[int], reference: int = 20):
    """Sample table and detections of one simulated programme."""
    samples, dets = [], []
    for c, n_taxa in enumerate(impacted):
        for site, k in (("REF", reference), ("IMP", n_taxa)):
            probs = rng.uniform(0.3, 0.9, size=k)
            for r in range(m):
                name = f"{site}_c{c}_r{r}"
                role = "reference" if site == "REF" else "impacted"
                samples.append(
                    {
                        "sample": name,
                        "basin": "B",
                        "site": site,
                        "campaign": f"c{c}",
                        "replicate": r + 1,
                        "type": "sample",
                        "site_role": role,
                    }
                )
                for t in np.flatnonzero(rng.random(k) < probs):
                    taxon = f"R{t}_sp" if site == "REF" else f"T{t}_sp"
                    dets.append(
                        {
                            "sample": name,
                            "taxon": taxon,
                            "rank": "species",
                            "genus": taxon.split("_")[0],
                        }
                    )
    return pd.DataFrame(samples), pd.DataFrame(dets)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", type=int, default=100)
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "recovery_validation.md"
    )
    args = ap.parse_args(argv)
    rng = np.random.default_rng(2026)
    rows = []
    for name, impacted in SCENARIOS.items():
        for m in (2, 3, 5):
            words = []
            for i in range(args.datasets):
                samples, dets = programme(rng, m, impacted)
                _, v = recovery.recovery(dets, samples, ["c0", "c1", "c2"], draws=200, seed=i)
                words.append(v["verdict"].iloc[0])
            share = pd.Series(words).value_counts(normalize=True)
            cells = " | ".join(f"{share.get(w, 0):.2f}" for w in recovery.VERDICTS)
            rows.append(f"| {name} | {m} | {args.datasets} | {cells} |")
            print(rows[-1], flush=True)
    header = (
        f"\n## {dt.date.today().isoformat()}: {args.datasets} programmes per row\n\n"
        "| truth | water samples per site | programmes | "
        + " | ".join(recovery.VERDICTS)
        + " |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    )
    new = not args.out.exists()
    with open(args.out, "a", encoding="utf-8") as fh:
        if new:
            fh.write("# Recovery verdict validation (benchmarks/recovery_validation.py)\n")
        fh.write(header + "\n".join(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
