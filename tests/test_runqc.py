"""The run-quality check on hand-made read-tracking tables: exact shares and warnings."""

import pandas as pd

from riverfish import runqc


def tracking():
    cols = ["sample", "campaign", "raw_pairs", "merged", "primer_trimmed", "length_ok"]
    cols += ["quality_ok", "in_asvs", "merged_after_truncation"]
    rows = [
        # a poor run: a quarter of the pairs do not merge whole, 150 + 500 merge after
        # their 3' ends were cut
        ("a1", "2024-summer", 1000, 900, 880, 870, 800, 850, 150),
        ("a2", "2024-summer", 3000, 2700, 2600, 2500, 2400, 2450, 500),
        # a good run with one outlier sample (few reads with primers, low depth)
        ("b1", "2025-spring", 5000, 4900, 4800, 4750, 4700, 4650, 0),
        ("b2", "2025-spring", 800, 790, 400, 395, 390, 380, 0),
        # a field blank: few reads by design, never judged
        ("fb", "2025-spring", 100, 10, 1, 1, 1, 0, 0),
    ]
    return pd.DataFrame(rows, columns=cols)


SAMPLES = pd.DataFrame(
    {"sample": ["a1", "a2", "b1", "b2", "fb"], "type": ["sample"] * 4 + ["field_blank"]}
)


def test_shares_per_campaign_and_field_sample():
    s = runqc.shares(tracking(), SAMPLES)
    assert list(s["level"]) == ["campaign", "sample", "sample", "campaign", "sample", "sample"]
    assert list(s["sample"]) == ["", "a1", "a2", "", "b1", "b2"]
    camp = s.iloc[0]
    assert camp["field_samples"] == 2 and camp["raw_pairs"] == 4000
    assert camp["share_merged"] == (900 + 2700 - 650) / 4000
    assert camp["share_merged_after_truncation"] == 650 / 4000
    assert camp["share_in_asvs"] == 3300 / 3370  # of the inserts in the length window
    assert s.iloc[5]["share_primer_trimmed"] == 400 / 790


def test_warnings_exact():
    w = runqc.run_warnings(runqc.shares(tracking(), SAMPLES))
    assert list(w.columns) == runqc.WARNING_COLUMNS
    assert list(w["message"]) == [
        "2024-summer: 73.8 % of pairs merged whole (expected ≥ 90 %) in 2 of 2 field "
        "samples; 16.2 % more merged after their 3' ends were cut",
        "2025-spring, sample b2: 50.6 % of merged reads with both primers (expected ≥ 85 %)",
        "2025-spring, sample b2: 800 read pairs (expected ≥ 1,000)",
    ]
    assert list(w["check"]) == ["merged", "primer_trimmed", "min_pairs"]
    assert list(w["sample"]) == ["", "b2", "b2"]
    assert w["setting"][1].startswith("primers.forward / primers.reverse")
    assert w["observed"].tolist() == [0.7375, 0.5063, 800]


def test_expected_ranges_from_the_config():
    w = runqc.run_warnings(
        runqc.shares(tracking(), SAMPLES), {"merged": 0.7, "primer_trimmed": 0.5, "min_pairs": 0}
    )
    assert w.empty


def test_a_sound_run_gives_no_warning_and_says_so():
    t = tracking()
    t = t[t["campaign"] == "2025-spring"].iloc[[0]]
    s = runqc.shares(t, SAMPLES)
    w = runqc.run_warnings(s)
    assert w.empty
    assert "kept the expected share of its reads at every step" in runqc.html_page(s, w)


def test_page_lists_every_warning():
    s = runqc.shares(tracking(), SAMPLES)
    w = runqc.run_warnings(s)
    page = runqc.html_page(s, w)
    assert "<b>3 warning(s)</b>" in page
    for message in w["message"]:
        assert message.replace("'", "&#x27;") in page
    assert "<td class='low'>73.8 %</td>" in page
