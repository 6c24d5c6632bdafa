"""Monitoring statistics on hand-made data: Chao2 and coverage against hand-computed values,
occupancy per taxon with shared detection, the survey-design table, and the recovery verdict
rule (each verdict word reached)."""

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from riverfish import occupancy, recovery, richness, sheets, surveystats
from riverfish.controls import replicate_support
from riverfish.errors import InputError

# --------------------------------------------------------------------------------------
# Chao2 and coverage


def test_chao2_and_coverage_by_hand():
    """Incidence matrix of 4 water samples: taxa found in 1,1,1,2,2,3,4 samples.

    S_obs 7, Q1 3, Q2 2, (m-1)/m = 0.75: Chao2 = 7 + 0.75 * 3*2 / (2*3) = 7.75;
    var = 0.75*6/6 + 0.5625*3*25/36 + 0.5625*9*2*4/324 = 0.75 + 1.171875 + 0.125 = 2.046875;
    T = 0.75, K = exp(1.96 * sqrt(ln(1 + var/T^2))) = 11.3349: interval 7 + T/K = 7.0662,
    7 + T*K = 15.5012; coverage 1 - 3/14 * 9/13 = 0.851648.
    """
    units = [
        {"a", "d", "f", "g"},
        {"b", "d", "f", "g"},
        {"c", "e", "f", "g"},
        {"e", "g"},
    ]
    y = sorted(Counter(t for unit in units for t in unit).values())
    assert y == [1, 1, 1, 2, 2, 3, 4]
    est = richness.chao2(y, 4)
    assert (est.observed, est.q1, est.q2) == (7, 3, 2)
    assert est.estimate == pytest.approx(7.75)
    assert est.se == pytest.approx(math.sqrt(2.046875))
    assert est.lower == pytest.approx(7.0662, abs=1e-4)
    assert est.upper == pytest.approx(15.5012, abs=1e-4)
    assert est.coverage == pytest.approx(1 - 27 / 182)
    assert est.note == ""


def test_chao2_edge_cases():
    # no singletons: nothing inferred missing, full coverage, interval from S_obs
    est = richness.chao2([2, 2, 2], 2)
    assert (est.estimate, est.lower, est.upper, est.coverage) == (3.0, 3.0, 3.0, 1.0)
    assert "no undetected taxa" in est.note
    # Q2 = 0: the (m-1)(Q1-1) form; 3 singletons in 3 units
    est = richness.chao2([1, 1, 1], 3)
    assert est.estimate == pytest.approx(3 + (2 / 3) * 3 * 2 / 2)
    assert est.coverage == pytest.approx(1 - 1 * (2 * 2) / (2 * 2 + 2))
    # one water sample: not estimable, said so
    est = richness.chao2([1, 1], 1)
    assert math.isnan(est.estimate) and "one field replicate" in est.note
    assert richness.chao2([], 3).estimate == 0.0
    with pytest.raises(ValueError, match="do not fit"):
        richness.chao2([4], 3)


# --------------------------------------------------------------------------------------
# a hand-made survey: 4 sites x 2 water samples x 3 PCR replicates


def _sheet(rows):
    return pd.DataFrame(rows)


def _survey():
    samples, dets = [], []
    pattern = {  # site -> per water sample, PCR replicates positive for taxon A
        "S1": [[1, 1, 1], [1, 1, 0]],
        "S2": [[1, 0, 1], [0, 0, 0]],
        "S3": [[1, 1, 1], [1, 1, 1]],
        "S4": [[0, 0, 0], [0, 0, 0]],
    }
    for site, reps in pattern.items():
        for r, pcrs in enumerate(reps, start=1):
            for k, hit in enumerate(pcrs, start=1):
                name = f"{site}_r{r}_p{k}"
                samples.append(
                    {
                        "sample": name,
                        "basin": "B",
                        "site": site,
                        "campaign": "c1",
                        "replicate": r,
                        "pcr_replicate": k,
                        "type": "sample",
                        "site_role": "",
                    }
                )
                if hit:
                    dets.append(_det(name, "Aus_aus", site, r))
    # taxon B: one PCR of one water sample only -> too few detections for its own fit
    dets.append(_det("S1_r1_p1", "Bus_bus", "S1", 1))
    return _sheet(samples), pd.DataFrame(dets)


def _det(sample, taxon, site, rep, campaign="c1", rank="species"):
    return {
        "sample": sample,
        "basin": "B",
        "site": site,
        "campaign": campaign,
        "replicate": rep,
        "taxon": taxon,
        "rank": rank,
        "genus": taxon.split("_")[0],
        "family": "Fam",
        "order": "Ord",
        "common_name": "",
        "reads": 100,
    }


def test_occupancy_tables_own_shared_presence_and_design():
    samples, dets = _survey()
    occ, presence, design = surveystats.occupancy_tables(dets, samples, ["c1"])
    assert occ["taxon"].tolist() == ["Aus_aus", "Bus_bus"]
    a = occ.iloc[0]
    assert (a.n_sites, a.n_sites_detected, a.n_samples, a.n_samples_detected) == (4, 3, 8, 5)
    assert a.pcr_replicates == 3 and a.detection_model == "own"
    # the same as fitting the model directly on the same data
    direct = occupancy.fit(
        occupancy.Data(
            ["S1", "S2", "S3", "S4"],
            np.full((4, 2), 3.0),
            np.array([[3, 2], [2, 0], [3, 3], [0, 0]], dtype=float),
        )
    )
    for name in ("psi", "theta", "p"):
        assert a[name] == pytest.approx(direct.estimates[name], abs=1e-4)
        assert a[f"{name}_lower"] == pytest.approx(direct.intervals[name][0], abs=1e-4)
    b = occ.iloc[1]
    assert b.detection_model == "shared" and "shared by the 2 taxa" in b.note
    assert 0 < b.psi < 1 and b.psi_lower < b.psi < b.psi_upper
    # presence where not detected: A at S4 only; B at S2, S3, S4
    assert presence[["taxon", "site"]].values.tolist() == [
        ["Aus_aus", "S4"],
        ["Bus_bus", "S2"],
        ["Bus_bus", "S3"],
        ["Bus_bus", "S4"],
    ]
    miss = ((1 - a.theta) + a.theta * (1 - a.p) ** 3) ** 2
    expect = a.psi * miss / (a.psi * miss + 1 - a.psi)
    row = presence.iloc[0]
    assert row.probability_present == pytest.approx(expect, abs=1e-3)
    assert row.lower <= row.probability_present <= row.upper
    # survey design: per-sample detection and the samples for 95 %
    d = design.iloc[0]
    per = a.theta * (1 - (1 - a.p) ** 3)
    assert d.detection_per_sample == pytest.approx(per, abs=1e-3)
    assert d.samples_for_95 == math.ceil(math.log(0.05) / math.log(1 - per))
    assert d.samples_for_95_cautious >= d.samples_for_95
    assert d.samples_taken == 2


def test_one_pcr_per_sample_reduces_to_site_and_sample():
    samples, dets = _survey()
    samples = samples.loc[samples["pcr_replicate"] == 1].drop(columns="pcr_replicate")
    dets = dets.loc[dets["sample"].str.endswith("_p1")]
    occ, _, design = surveystats.occupancy_tables(dets, samples, ["c1"])
    a = occ.iloc[0]
    assert a.pcr_replicates == 1 and math.isnan(a.p)
    assert design.iloc[0].detection_per_sample == pytest.approx(a.theta, abs=1e-4)


def test_shared_detection_recovers_the_simulated_values():
    rng = np.random.default_rng(7)
    sets = [occupancy.simulate(rng, 30, 3, 3, psi, 0.6, 0.7) for psi in np.linspace(0.2, 0.9, 25)]
    comm = occupancy.Community(
        sets[0].sites, [f"t{i}" for i in range(25)], sets[0].n, np.stack([d.s for d in sets])
    )
    fit = occupancy.fit_shared(comm)
    assert fit.estimates["theta"] == pytest.approx(0.6, abs=0.05)
    assert fit.estimates["p"] == pytest.approx(0.7, abs=0.05)
    lo, hi = fit.intervals["theta"]
    assert lo < 0.6 < hi


def test_richness_estimates_of_a_site_and_basin():
    samples, dets = _survey()
    table = surveystats.richness_estimates(dets, samples, ["c1"])
    basin = table.loc[table["level"] == "basin"].iloc[0]
    # 8 water samples; A in 5, B in 1
    assert (basin.n_samples, basin.observed, basin.q1, basin.q2) == (8, 2, 1, 0)
    s1 = table.loc[table["site"] == "S1"].iloc[0]
    assert (s1.n_samples, s1.observed, s1.q1, s1.q2) == (2, 2, 1, 1)
    # a genus-rank taxon whose genus has a species counts once, as in the tallies
    dets2 = pd.concat([dets, pd.DataFrame([_det("S3_r1_p1", "Aus_sp", "S3", 1, rank="genus")])])
    t2 = surveystats.richness_estimates(dets2, samples, ["c1"])
    assert t2.loc[t2["level"] == "basin", "observed"].item() == 2
    assert t2.loc[t2["site"] == "S3", "observed"].item() == 1


def test_pcr_replicates_count_once_in_replicate_support():
    samples, dets = _survey()
    support = replicate_support(dets.assign(reads=10), samples)
    s1 = support.loc[(support["site"] == "S1") & (support["taxon"] == "Aus_aus")].iloc[0]
    assert (s1.positive_replicates, s1.total_replicates) == (2, 2)


def test_duplicate_pcr_replicate_is_refused():
    samples, _ = _survey()
    samples.loc[1, "pcr_replicate"] = 1
    with pytest.raises(InputError, match="give each library"):
        surveystats.water_samples(samples, ["c1"])


# --------------------------------------------------------------------------------------
# the verdict rule on hand-made trends


def _trend(mine_sets, ref_sets):
    """Samples and detections of basin B: REF (reference) and MINE (impacted); the sets
    are per campaign, per water sample."""
    samples, dets = [], []
    for site, per_campaign in (("REF", ref_sets), ("MINE", mine_sets)):
        for c, reps in enumerate(per_campaign, start=1):
            for r, taxa in enumerate(reps, start=1):
                name = f"{site}_c{c}_r{r}"
                samples.append(
                    {
                        "sample": name,
                        "basin": "B",
                        "site": site,
                        "campaign": f"c{c}",
                        "replicate": r,
                        "type": "sample",
                        "site_role": "reference" if site == "REF" else "impacted",
                    }
                )
                dets += [_det(name, f"G{t}_sp{t}", site, r, campaign=f"c{c}") for t in taxa]
    return pd.DataFrame(samples), pd.DataFrame(dets)


REF = [["ABCDEF"] * 3] * 3


def _verdict(mine, ref=REF, **kw):
    samples, dets = _trend(mine, ref)
    campaigns = [f"c{i + 1}" for i in range(len(mine))]
    by_campaign, verdicts = recovery.recovery(dets, samples, campaigns, draws=400, **kw)
    return by_campaign, verdicts.iloc[0]


def test_verdict_recovering():
    by_campaign, v = _verdict([["A"] * 3, ["ABC"] * 3, ["ABCDE"] * 3])
    assert by_campaign["relative_richness"].tolist() == pytest.approx(
        [1 / 6, 3 / 6, 5 / 6], abs=1e-3
    )
    assert v.verdict == "recovering"
    assert v.relative_slope == pytest.approx(2 / 6, abs=1e-3)
    assert v.per_sample_slope == pytest.approx(2 / 6, abs=1e-3)
    assert v.per_sample_slope_lower > 0
    assert v.n_campaigns == 3


def test_verdict_interval_by_hand():
    """Species per water sample 1, 2, 3 at the site (3 samples: 2, 3, 4 in campaign 2),
    the reference 4 in every sample: ratios 0.5 and 0.75, each with the variance
    (var(1,2,3)/3)/4^2 = 1/48; the slope 0.25 with the standard error sqrt(2/48) = 0.2041,
    Welch-Satterthwaite df (2/48)^2 / (2 (1/48)^2 / 2) = 4, t 2.7764: 0.25 +- 0.5667."""
    mine = [["A", "AB", "ABC"], ["AB", "ABC", "ABCD"]]
    ref = [["ABCD"] * 3] * 2
    by_campaign, v = _verdict(mine, ref=ref)
    assert by_campaign["relative_per_sample"].tolist() == pytest.approx([0.5, 0.75])
    half = 2.776445 * math.sqrt(2 / 48)
    assert v.per_sample_slope == pytest.approx(0.25)
    assert v.per_sample_slope_lower == pytest.approx(0.25 - half, abs=1e-4)
    assert v.per_sample_slope_upper == pytest.approx(0.25 + half, abs=1e-4)
    assert v.verdict == "no clear change"


def test_verdict_declining():
    _, v = _verdict([["ABCDE"] * 3, ["ABC"] * 3, ["A"] * 3])
    assert v.verdict == "declining" and v.relative_slope_upper < 0


def test_verdict_no_clear_change_when_replicates_disagree():
    varied = [["A", "ABCD", "AB"], ["ABCD", "A", "ABC"], ["AB", "ABC", "A"]]
    _, v = _verdict(varied)
    assert v.verdict == "no clear change"
    assert v.relative_slope_lower < 0 < v.relative_slope_upper


def test_verdict_not_claimed_from_taxa_lost_in_resampling():
    """Same richness, but in campaign 2 every taxon is in one water sample only: a
    resample loses most of them, yet no change may be claimed from that."""
    full = ["ABCDEF"] * 6
    singletons = list("ABCDEF")
    ref = [["ABCDEF"] * 6] * 2
    for mine in ([full, singletons], [singletons, full]):
        by_campaign, v = _verdict(mine, ref=ref)
        assert by_campaign["n_species"].tolist() == [6, 6]
        assert v.relative_slope == 0
        assert v.verdict == "no clear change"
    # richness up but species per water sample down: the two disagree, no verdict claimed
    _, v = _verdict([["ABCDE"] * 6, list("ABCDEF")], ref=ref)
    assert v.relative_slope > 0 and v.per_sample_slope < 0
    assert v.verdict == "no clear change" and "different directions" in v.note


def test_verdict_not_enough_campaigns():
    _, v = _verdict([["A"] * 3], ref=[["ABCDEF"] * 3])
    assert v.verdict == "not enough campaigns" and v.n_campaigns == 1
    # two campaigns, but one water sample each: nothing to resample, no interval
    _, v = _verdict([["A"], ["ABCDE"]], ref=[["ABCDEF"], ["ABCDEF"]])
    assert v.verdict == "not enough campaigns"
    # a minimum of 3 campaigns set, 2 given
    _, v = _verdict([["A"] * 3, ["ABCDE"] * 3], ref=REF[:2], min_campaigns=3)
    assert v.verdict == "not enough campaigns" and "needs 3" in v.note
    assert set(recovery.VERDICTS) == {
        "recovering",
        "no clear change",
        "declining",
        "not enough campaigns",
    }


def test_verdict_function():
    assert recovery.verdict(3, 0.1, 0.5) == "recovering"
    assert recovery.verdict(3, -0.5, -0.1) == "declining"
    assert recovery.verdict(3, -0.1, 0.5) == "no clear change"
    assert recovery.verdict(1, 0.1, 0.5) == "not enough campaigns"
    assert recovery.verdict(2, math.nan, math.nan) == "not enough campaigns"


def test_impacted_site_needs_a_reference_site(tmp_path):
    samples, dets = _trend([["A"] * 2], [["AB"] * 2])
    samples.loc[samples["site"] == "REF", "site_role"] = ""
    with pytest.raises(InputError, match="no reference site"):
        recovery.recovery(dets, samples, ["c1"])
    # and the sheets say so before anything runs, with the sheet and line
    problems = sheets.check_design(
        samples.assign(sheet="s.tsv", line=range(2, 2 + len(samples)), pcr_replicate=1)
    )
    assert any("MINE" in p and "no reference site" in p for p in problems)


def _load(tmp_path, rows):
    from conftest import ROOT, write_sheet

    path = write_sheet(tmp_path / "c1.tsv", rows)
    schema = sheets.load_schema(ROOT / "workflow" / "schemas" / "samples.schema.yaml")
    return sheets.load_campaigns({"c1": str(path)}, schema, root=tmp_path, check_files=False)


def _row(sample, site, rep, role="", pcr=""):
    return {
        "sample": sample,
        "basin": "B",
        "site": site,
        "site_role": role,
        "replicate": rep,
        "pcr_replicate": pcr,
        "type": "sample",
        "fq1": f"{sample}_R1.fq.gz",
        "fq2": f"{sample}_R2.fq.gz",
    }


def test_sheet_design_errors_name_the_line(tmp_path):
    # PCR replicates of one water sample: accepted, pcr_replicate defaults to 1
    table = _load(
        tmp_path,
        [
            _row("a1", "UP", 1, "reference", 1),
            _row("a2", "UP", 1, "reference", 2),
            _row("b1", "MINE", 1, "impacted"),
        ],
    )
    assert table["pcr_replicate"].tolist() == [1, 2, 1]
    # the same water sample and PCR replicate twice
    with pytest.raises(InputError) as err:
        _load(tmp_path, [_row("a1", "UP", 1), _row("a2", "UP", 1)])
    assert "line 3: sample 'a2' has the same site (UP), replicate (1)" in str(err.value)
    assert "as 'a1' at line 2" in str(err.value)
    # an impacted site without a reference site in its basin
    with pytest.raises(InputError, match="'MINE' of basin 'B' is marked impacted but the basin"):
        _load(tmp_path, [_row("a1", "UP", 1), _row("b1", "MINE", 1, "impacted")])
    # an unknown role
    with pytest.raises(InputError, match="site_role"):
        _load(tmp_path, [_row("a1", "UP", 1, "upstream")])
