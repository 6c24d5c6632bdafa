"""Scoring a run against the truth of a simulated data set (dev-campaigns, dev-hard).

The simulated sets ship ``truth_composition.tsv`` (one row per sample x taxon that the
ideal pipeline reports, with the hard ``case`` it plays in dev-hard) and
``truth_tallies.tsv``. :func:`score_detections` matches the workflow's sample-level
detections (``tables/detections.tsv``) to it and counts, per case, true positives (the
truth's taxon at the truth's rank in that sample), false negatives, and false positives
(a taxon detected in a sample whose truth lacks it; it is attributed to the case of that
taxon elsewhere in the truth, or to ``not in truth``). Run as
``python -m riverfish.truth DATA_DIR RESULTS_DIR``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

NOT_IN_TRUTH = "not in truth"


def _tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str)


def score_detections(truth: pd.DataFrame, detections: pd.DataFrame) -> pd.DataFrame:
    """TP, FP, FN, precision and recall per case (and ``all``), from the two tables.

    ``truth`` needs sample, taxon, rank (and case, else every row is case ``all``);
    ``detections`` needs sample, taxon, rank. A detection counts as true only when its
    taxon and rank both equal the truth row's.
    """
    truth = truth.copy()
    if "case" not in truth:
        truth["case"] = "all"
    key = ["sample", "taxon", "rank"]
    t = truth[[*key, "case"]].drop_duplicates(key)
    d = detections[key].drop_duplicates()
    merged = t.merge(d, on=key, how="outer", indicator=True)
    case_of_taxon = t.drop_duplicates("taxon").set_index("taxon")["case"]
    fp = merged["_merge"] == "right_only"
    merged.loc[fp, "case"] = merged.loc[fp, "taxon"].map(case_of_taxon).fillna(NOT_IN_TRUTH)
    merged["tp"] = merged["_merge"] == "both"
    merged["fn"] = merged["_merge"] == "left_only"
    merged["fp"] = fp
    rows = []
    groups = [*merged.groupby("case", sort=True)] if merged["case"].nunique() > 1 else []
    for case, g in [*groups, ("all", merged)]:
        tp, fp_n, fn = int(g["tp"].sum()), int(g["fp"].sum()), int(g["fn"].sum())
        rows.append(
            {
                "case": case,
                "tp": tp,
                "fp": fp_n,
                "fn": fn,
                "precision": round(tp / (tp + fp_n), 4) if tp + fp_n else float("nan"),
                "recall": round(tp / (tp + fn), 4) if tp + fn else float("nan"),
            }
        )
    out = pd.DataFrame(rows)
    out["f1"] = (2 * out["precision"] * out["recall"] / (out["precision"] + out["recall"])).round(4)
    return out


def errors(truth: pd.DataFrame, detections: pd.DataFrame) -> pd.DataFrame:
    """The rows behind the FP and FN counts: sample, taxon, rank, case, error (FP/FN)."""
    key = ["sample", "taxon", "rank"]
    t = truth.copy()
    if "case" not in t:
        t["case"] = "all"
    merged = t[[*key, "case"]].merge(detections[key].drop_duplicates(), how="outer", indicator=True)
    merged = merged[merged["_merge"] != "both"].copy()
    merged["error"] = merged["_merge"].map({"left_only": "FN", "right_only": "FP"}).astype(str)
    return merged.drop(columns="_merge").sort_values(["error", "sample", "taxon"])


def compare_tallies(truth_tallies: pd.DataFrame, results: Path) -> pd.DataFrame:
    """Truth and workflow tallies side by side (basin x campaign, and ``ALL``)."""
    per = _tsv(results / "tallies" / "basin_campaign.tsv")
    whole = _tsv(results / "tallies" / "basin.tsv").assign(campaign="ALL")
    cols = ["basin", "campaign", "n_orders", "n_families", "n_species"]
    got = pd.concat([per[cols], whole[cols]], ignore_index=True)
    out = truth_tallies[cols].merge(
        got, on=["basin", "campaign"], how="outer", suffixes=("_truth", "")
    )
    out["equal"] = True
    for c in ("n_orders", "n_families", "n_species"):
        out["equal"] &= out[f"{c}_truth"].astype(str) == out[c].astype(str)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m riverfish.truth", description=__doc__)
    ap.add_argument("data", type=Path, help="folder of the simulated set (truth_*.tsv)")
    ap.add_argument("results", type=Path, help="the workflow's results folder")
    ap.add_argument("--errors", action="store_true", help="also list every FP and FN")
    args = ap.parse_args(argv)
    truth = _tsv(args.data / "truth_composition.tsv")
    dets = _tsv(args.results / "tables" / "detections.tsv")
    print(score_detections(truth, dets).to_string(index=False))
    tallies = compare_tallies(_tsv(args.data / "truth_tallies.tsv"), args.results)
    print()
    print(tallies.to_string(index=False))
    if args.errors:
        print()
        print(errors(truth, dets).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
