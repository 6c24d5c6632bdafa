"""Detections, tallies, trends and the report of the whole workflow against the truth of
the simulated two-basin set."""

import subprocess

import pandas as pd

from conftest import DEV, ROOT, dev_sheets, example_config, run_workflow, snakemake_cmd

CONTAMINANT_GENERA = {"Sardinops"}  # the food fish present in every field blank


def _tsv(path, **kw):
    return pd.read_csv(path, sep="\t", keep_default_na=False, **kw)


def test_basin_tallies_equal_truth(dev_run):
    truth = _tsv(DEV / "truth_tallies.tsv")
    per_campaign = truth[truth["campaign"] != "ALL"].sort_values(["basin", "campaign"])
    got = _tsv(dev_run / "tallies" / "basin_campaign.tsv")
    assert list(got.columns) == ["basin", "campaign", "n_orders", "n_families", "n_species"]
    got = got.sort_values(["basin", "campaign"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, per_campaign.reset_index(drop=True))

    whole = truth[truth["campaign"] == "ALL"].drop(columns="campaign").reset_index(drop=True)
    basin = _tsv(dev_run / "tallies" / "basin.tsv")
    assert list(basin.columns) == ["basin", "n_orders", "n_families", "n_species", "n_campaigns"]
    assert list(basin["n_campaigns"]) == [2, 2]
    pd.testing.assert_frame_equal(basin.drop(columns="n_campaigns"), whole)


def test_site_richness_equals_truth(dev_run):
    truth = _tsv(DEV / "truth_sites.tsv").sort_values(["basin", "site", "campaign"])
    got = _tsv(dev_run / "tallies" / "site_campaign.tsv")
    assert list(got.columns) == [
        "basin",
        "site",
        "campaign",
        "n_orders",
        "n_families",
        "n_species",
    ]
    got = got.sort_values(["basin", "site", "campaign"])[["basin", "site", "campaign", "n_species"]]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), truth.reset_index(drop=True))


def test_detections_against_truth(dev_run):
    det = _tsv(dev_run / "tables" / "detections.tsv")
    assert list(det.columns[:12]) == [
        "sample",
        "basin",
        "site",
        "campaign",
        "replicate",
        "taxon",
        "rank",
        "genus",
        "family",
        "order",
        "reads",
        "common_name",
    ]
    assert not set(det["genus"]) & CONTAMINANT_GENERA
    assert set(det["sample"]) <= set(_tsv(DEV / "samples.tsv").query("type == 'sample'")["sample"])
    truth = _tsv(DEV / "truth_composition.tsv")
    found = set(zip(det["sample"], det["taxon"], det["rank"], strict=True))
    expected = set(zip(truth["sample"], truth["taxon"], truth["rank"], strict=True))
    tp = len(found & expected)
    precision, recall = tp / len(found), tp / len(expected)
    print(f"sample-level detections: precision {precision:.3f}, recall {recall:.3f}")
    assert found - expected == set()  # no false species
    assert (precision, recall) == (1.0, 1.0)
    # the contaminant was in the blanks and has been removed from the samples
    removed = _tsv(dev_run / "controls" / "removed_by_controls.tsv")
    assert (
        len(removed) > 0
        and (removed["reads_after"] == removed["reads_before"] - removed["removed"]).all()
    )


def test_read_tracking_after_controls(dev_run):
    t = _tsv(dev_run / "qc" / "read_tracking.tsv").set_index("sample")
    assert list(t.columns)[-3:] == ["in_asvs", "after_controls", "merged_after_truncation"]
    blanks = t.index.str.contains("blank")
    assert (t.loc[blanks, "after_controls"] == "").all()
    field = t.loc[~blanks]
    after = field["after_controls"].astype(int)
    assert (after <= field["in_asvs"]).all() and (after > 0.95 * field["in_asvs"]).all()
    corrected = _tsv(dev_run / "controls" / "corrected_counts.tsv")
    sums = corrected.groupby("sample")["reads"].sum()
    assert sums.to_dict() == after.to_dict()


def test_trends_and_species_tables(dev_run):
    sim = _tsv(dev_run / "trends" / "similarity_to_reference.tsv")
    row = sim[(sim["site"] == "HY-mine") & (sim["campaign"] == "2025-autumn")].iloc[0]
    assert (row["reference_site"], row["n_shared"]) == ("HY-up", 2)
    assert round(float(row["jaccard"]), 4) == round(2 / 7, 4)
    first = _tsv(dev_run / "trends" / "first_last_detection.tsv").set_index(["basin", "taxon"])
    assert first.loc[("Hayase", "Mugil_cephalus"), "first_campaign"] == "2025-autumn"
    table = _tsv(dev_run / "tables" / "species" / "Hayase.tsv").set_index("taxon")
    assert table.loc["Odontobutis_obscura", "2025-spring / HY-mine"].startswith("2/2 (")
    assert (dev_run / "tables" / "species_tables.xlsx").stat().st_size > 0
    for png in ("richness.png", "heatmap_Hayase.png", "heatmap_Kanose.png", "read_tracking.png"):
        assert (dev_run / "plots" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_builds(dev_run):
    work = dev_run.parent
    cfg = work / "config.yaml"
    proc = subprocess.run(
        [
            *snakemake_cmd(),
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--directory",
            str(work),
            "--configfile",
            str(cfg),
            "--report",
            str(work / "report.html"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (work / "report.html").read_text(errors="replace")
    for name in ("basin_campaign.tsv", "site_campaign.tsv", "richness.png", "heatmap_Hayase.png"):
        assert name in html, name
    # the monitoring statistics: their own category, tables and figures with captions
    assert "Monitoring statistics" in html
    for name in (
        "stats/occupancy.tsv",
        "stats/survey_design.tsv",
        "stats/richness.tsv",
        "stats/recovery_verdicts.tsv",
        "plots/recovery.png",
        "plots/richness_estimates.png",
        "plots/detection_Hayase.png",
    ):
        assert f"results/{name}" in html, name
    assert "interval above 0" in html  # the verdict rule, in the caption
    assert "System Message" not in html


def test_run_report_uses_the_runs_configfile(dev_run):
    """./run report with the run's --configfile: the report of that run, where asked."""
    work = dev_run.parent
    out = work / "from_run_report.html"
    proc = subprocess.run(
        [
            str(ROOT / "run"),
            "report",
            "--directory",
            str(work),
            "--configfile",
            str(work / "config.yaml"),
            "--report",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = out.read_text(errors="replace")
    assert "results/stats/recovery_verdicts.tsv" in html and "tallies/basin.tsv" in html


def test_controls_warnings_and_no_reference_site(tmp_path):
    """No negative control: a warning; a 'blank' richer than the samples: flagged; no
    reference site: richness trends still, similarity marked not computable."""

    def keep(r):
        return r["sample"] in {
            "HY-up_2025-spring_r1",
            "HY-mine_2025-spring_r1",
            "HY-up_2025-autumn_r1",
            "HY-mine_2025-autumn_r1",
        }

    # a "field blank" made of two river samples' reads: richer than any sample
    r1, r2 = tmp_path / "rich_R1.fastq.gz", tmp_path / "rich_R2.fastq.gz"
    for out, mate in ((r1, "R1"), (r2, "R2")):
        with open(out, "wb") as fh:  # concatenated gzip members are one valid gzip file
            for s in ("HY-down_2025-autumn_r1_S12", "HY-down_2025-autumn_r2_S13"):
                fh.write((DEV / "reads" / f"{s}_L001_{mate}_001.fastq.gz").read_bytes())

    def edit(r):
        r["site_role"] = ""  # no reference site anywhere
        if r["sample"] == "HY-mine_2025-autumn_r1":
            r.update(sample="rich-blank", type="field_blank", fq1=str(r1), fq2=str(r2))
        return r

    campaigns = dev_sheets(tmp_path / "sheets", keep=keep, edit=edit)
    run_workflow(tmp_path, example_config(campaigns))
    res = tmp_path / "results"
    warnings = _tsv(res / "controls" / "warnings.tsv")["warning"].tolist()
    assert any("2025-spring" in w and "no negative control" in w for w in warnings), warnings
    assert any("negative control rich-blank has" in w for w in warnings), warnings
    sim = _tsv(res / "trends" / "similarity_to_reference.tsv")
    assert (sim["jaccard"] == "").all()
    assert sim["note"].str.contains("not computable").all()
    rich = _tsv(res / "trends" / "richness.tsv")
    assert set(rich["site"]) == {"HY-up", "HY-mine"}
    assert list(rich.loc[rich["site"] == "HY-up", "campaign"]) == ["2025-spring", "2025-autumn"]


def test_species_page_shows_the_species_table(dev_run):
    """tables/species/<basin>.html: the TSV's taxa and cells, grouped by order and family,
    sites in the sheet's order (upstream reference first) under each campaign."""
    import re

    table = pd.read_csv(
        dev_run / "tables" / "species" / "Hayase.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    page = (dev_run / "tables" / "species" / "Hayase.html").read_text(encoding="utf-8")
    sites = [c.split(" / ")[1] for c in table.columns[5:]]
    assert sites[:3] == ["HY-up", "HY-mine", "HY-down"]
    heads = re.findall(r"<th>([^<]+)</th>", page)
    assert heads == sites
    orders = re.findall(r"<tr class='order'><td colspan='\d+'>([^<]+)</td>", page)
    assert orders == list(dict.fromkeys(table["order"]))
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>(.*?)</tr>", page)
    assert len(rows) == len(table)
    for (name, japanese, rank, cells), (_, rec) in zip(rows, table.iterrows(), strict=True):
        assert "_" not in name and name.startswith("<i>")
        assert japanese == rec["common_name"] and rank == rec["rank"]
        shown = re.findall(r"<td class='c'>([^<]*)</td>", cells)
        assert shown == [rec[c] for c in table.columns[5:]]
