"""The monitoring statistics of whole workflow runs on the simulated sets with known truth:
every taxon x basin x campaign has its occupancy row, the observed richness is the tallies'
n_species, and the mine sites' verdicts follow the truth's direction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import DEV, HARD
from riverfish import recovery
from riverfish.tables import read_tsv

pytestmark = pytest.mark.workflow


def _truth_direction(truth_sites: pd.DataFrame, campaigns: list[str], site: str, ref: str) -> str:
    """The verdict word the truth's site richness relative to the reference supports."""
    t = truth_sites.set_index(["site", "campaign"])["n_species"]
    rel = [t[(site, c)] / t[(ref, c)] for c in campaigns if (site, c) in t and (ref, c) in t]
    slope = np.polyfit(np.arange(len(rel)), rel, 1)[0]
    return "recovering" if slope > 0 else "declining" if slope < 0 else "no clear change"


def _check_stats(results, truth_dir, campaigns, expected_verdicts):
    sample_dets = read_tsv(results / "tables" / "sample_detections.tsv", dtype=str)
    occ = read_tsv(results / "stats" / "occupancy.tsv", dtype={"campaign": str})
    # every taxon x basin x campaign detected has its row, once
    got = sorted(map(tuple, occ[["basin", "campaign", "taxon"]].to_numpy()))
    want = sorted(set(map(tuple, sample_dets[["basin", "campaign", "taxon"]].to_numpy())))
    assert got == want
    assert set(occ["detection_model"]) <= {"own", "shared"}
    assert (occ["psi_lower"] <= occ["psi"] + 1e-9).all() and (
        occ["psi"] <= occ["psi_upper"] + 1e-9
    ).all()
    assert occ["psi"].between(0, 1).all() and occ["theta"].between(0, 1).all()
    own = occ["detection_model"] == "own"
    assert (occ.loc[own, "n_samples_detected"] >= 3).all()
    assert (occ.loc[own, "n_sites_detected"] >= 2).all()
    assert occ.loc[~own, "note"].str.contains("shared by the").all()
    # one PCR per water sample in these sets: the reduced model, p empty
    assert (occ["pcr_replicates"] == 1).all() and occ["p"].isna().all()

    design = read_tsv(results / "stats" / "survey_design.tsv", dtype={"campaign": str})
    assert len(design) == len(occ)
    per = design["detection_per_sample"].to_numpy()
    assert np.allclose(per, occ["theta"].to_numpy(), atol=1e-4)  # theta x (1 - (1-1)^1)

    presence = read_tsv(results / "stats" / "presence_if_undetected.tsv", dtype={"campaign": str})
    sites = read_tsv(results / "tallies" / "site_campaign.tsv", dtype={"campaign": str})
    n_sites = sites.groupby(["basin", "campaign"]).size()
    detected_sites = occ.set_index(["basin", "campaign", "taxon"])["n_sites_detected"]
    undetected = presence.groupby(["basin", "campaign", "taxon"]).size()
    for key, n in detected_sites.items():
        assert undetected.get(key, 0) == n_sites[key[:2]] - n
    assert presence["probability_present"].between(0, 1).all()

    # observed richness = the tallies' n_species (detection.min_replicates 1)
    rich = read_tsv(results / "stats" / "richness.tsv", dtype={"campaign": str, "site": str})
    site_rows = rich.loc[rich["level"] == "site"].merge(sites, on=["basin", "site", "campaign"])
    assert len(site_rows) == len(sites)
    assert (site_rows["observed"] == site_rows["n_species"]).all()
    basin = read_tsv(results / "tallies" / "basin_campaign.tsv", dtype={"campaign": str})
    basin_rows = rich.loc[rich["level"] == "basin"].merge(basin, on=["basin", "campaign"])
    assert len(basin_rows) == len(basin)
    assert (basin_rows["observed"] == basin_rows["n_species"]).all()
    assert (rich["chao2"] >= rich["observed"]).all()
    assert (rich["chao2_lower"] <= rich["chao2"] + 1e-9).all()

    # the verdicts: each mine site, in the direction of the truth (or not enough campaigns)
    verdicts = read_tsv(results / "stats" / "recovery_verdicts.tsv")
    truth_sites = read_tsv(truth_dir / "truth_sites.tsv", dtype={"campaign": str})
    assert set(verdicts["verdict"]) <= set(recovery.VERDICTS)
    got = dict(zip(verdicts["site"], verdicts["verdict"], strict=True))
    assert got == expected_verdicts
    for row in verdicts.itertuples(index=False):
        truth = _truth_direction(truth_sites, campaigns, row.site, row.reference_site)
        assert row.verdict in (truth, "not enough campaigns"), (row.site, row.verdict, truth)
        assert row.per_sample_slope_lower > 0  # what "recovering" rests on
        assert row.relative_slope > 0
    by_campaign = read_tsv(results / "stats" / "recovery_campaigns.tsv", dtype={"campaign": str})
    rel = by_campaign.merge(
        sites.rename(columns={"n_species": "tally"})[["basin", "site", "campaign", "tally"]],
        on=["basin", "site", "campaign"],
    )
    assert (rel["n_species"] == rel["tally"]).all()
    for name in ("plots/recovery.png", "plots/richness_estimates.png"):
        assert (results / name).stat().st_size > 10_000


def test_stats_on_dev_campaigns(dev_run):
    _check_stats(
        dev_run,
        DEV,
        ["2025-spring", "2025-autumn"],
        {"HY-mine": "recovering", "KN-mine": "recovering"},
    )
    for basin in ("Hayase", "Kanose"):
        assert (dev_run / "plots" / f"detection_{basin}.png").stat().st_size > 10_000
    verdicts = read_tsv(dev_run / "stats" / "recovery_verdicts.tsv").set_index("site")
    # the numbers of the example: HY-mine 2 of HY-up's 4 species, then 5 of 4
    hy = verdicts.loc["HY-mine"]
    assert (hy.relative_first, hy.relative_last, hy.relative_slope) == (0.5, 1.25, 0.75)
    assert "fewer than 3 water samples" in hy.note


def test_stats_on_dev_hard(hard_run):
    _check_stats(
        hard_run,
        HARD,
        ["2023-autumn", "2024-spring", "2024-autumn"],
        {"KS-mine": "recovering", "AG-mine": "recovering"},
    )
