"""Runs that leave nothing must not look complete: the warnings of a whole run.

``qc/warnings.tsv`` gathers every warning of the run, each with where it applies and what
to do: the run-quality shortfalls (``qc/run_warnings.tsv``), the negative-control
warnings (``controls/warnings.tsv``) and what this module finds in the outcome itself:

- a campaign without river-water samples (only controls);
- a campaign whose field samples all lost every read in the read steps;
- a campaign, or a basin in a campaign, where no taxon was detected.

The end of the run repeats them, the report's start page shows them first, and with
``strict: true`` the run fails on any of them (for automated programmes).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

COLUMNS = ["source", "campaign", "basin", "sample", "message", "setting"]


def outcome_warnings(
    samples: pd.DataFrame,
    tracking: pd.DataFrame,
    basin_campaign: pd.DataFrame,
    campaigns: Sequence[str],
) -> list[dict]:
    """Warnings about what the run produced (see the module's text)."""
    out = []
    fields = samples.loc[samples["type"] == "sample"]
    counted = tracking.assign(in_asvs=pd.to_numeric(tracking["in_asvs"], errors="coerce"))
    for campaign in campaigns:
        here = fields.loc[fields["campaign"] == campaign]
        if here.empty:
            out.append(
                {
                    "source": "outcome",
                    "campaign": campaign,
                    "message": f"campaign {campaign} has no river-water samples (only "
                    "controls): nothing can be tallied for it",
                    "setting": "add its field samples (type sample) to its sheet",
                }
            )
            continue
        reads = counted.loc[counted["sample"].isin(here["sample"]), "in_asvs"].fillna(0)
        if reads.sum() > 0:
            out += _emptied_samples(counted.loc[counted["sample"].isin(here["sample"])])
        if reads.sum() == 0:
            out.append(
                {
                    "source": "outcome",
                    "campaign": campaign,
                    "message": f"campaign {campaign}: none of its {len(here)} field samples "
                    "kept a read through the read steps",
                    "setting": "see qc/run_quality.tsv for the step that removed them "
                    "(primers, filter.min_length/max_length, filter.max_expected_errors)",
                }
            )
            continue
        tallied = basin_campaign.loc[basin_campaign["campaign"] == campaign]
        orders = pd.to_numeric(tallied["n_orders"], errors="coerce").fillna(0)
        if (orders.sum() if len(tallied) else 0) == 0:
            out.append(
                {
                    "source": "outcome",
                    "campaign": campaign,
                    "message": f"campaign {campaign}: no taxon was detected in any field sample",
                    "setting": "check detection.min_reads, detection.min_fraction, "
                    "detection.min_replicates and the controls' subtraction",
                }
            )
            continue
        for basin in dict.fromkeys(here["basin"]):
            row = tallied.loc[tallied["basin"] == basin]
            n = pd.to_numeric(row["n_orders"], errors="coerce").fillna(0).sum() if len(row) else 0
            if n == 0:
                out.append(
                    {
                        "source": "outcome",
                        "campaign": campaign,
                        "basin": basin,
                        "message": f"basin {basin}, campaign {campaign}: no taxon was "
                        "detected at any of its sites",
                        "setting": "check its samples' reads (qc/read_tracking.tsv) and "
                        "the detection settings",
                    }
                )
    return out


STEPS = {
    "merged": ("no read pair merged", "merge.min_overlap, merge.max_diffs, merge.truncate_r1/r2"),
    "primer_trimmed": (
        "no merged read carries both primers (another primer set or marker, or reads "
        "already trimmed?)",
        "primers.forward / primers.reverse, primers.random_prefix_max",
    ),
    "length_ok": ("no insert is in the length window", "filter.min_length, filter.max_length"),
    "quality_ok": ("no insert is within the expected-error limit", "filter.max_expected_errors"),
    "in_asvs": ("none of its reads belongs to an ASV", "denoise.min_size, denoise.map_identity"),
}


def _emptied_samples(tracking: pd.DataFrame) -> list[dict]:
    """Field samples with reads whose reads all ended at one step, naming the step."""
    out = []
    for r in tracking.to_dict("records"):
        raw = pd.to_numeric(r.get("raw_pairs"), errors="coerce")
        if not raw or pd.isna(raw) or pd.to_numeric(r.get("in_asvs"), errors="coerce") > 0:
            continue
        for step, (what, setting) in STEPS.items():
            if pd.to_numeric(r.get(step), errors="coerce") == 0:
                out.append(
                    {
                        "source": "outcome",
                        "campaign": r["campaign"],
                        "sample": r["sample"],
                        "message": f"sample {r['sample']}: {int(raw)} read pairs, but {what}; "
                        "the sample counts as one without fish DNA",
                        "setting": setting,
                    }
                )
                break
    return out


def all_warnings(
    run_warnings: pd.DataFrame, control_warnings: pd.DataFrame, outcome: list[dict]
) -> pd.DataFrame:
    """The run's warnings in one table (columns ``COLUMNS``): outcome first, then run
    quality, then controls."""
    rows = list(outcome)
    for r in run_warnings.fillna("").to_dict("records"):
        rows.append(
            {
                "source": "run quality",
                "campaign": r.get("campaign", ""),
                "sample": r.get("sample", ""),
                "message": r["message"],
                "setting": r.get("setting", ""),
            }
        )
    for r in control_warnings.fillna("").to_dict("records"):
        rows.append({"source": "controls", "message": r["warning"]})
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.fillna("")
