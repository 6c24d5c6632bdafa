"""Reads that hold on the runs people get: a real MiSeq run with a steep 3' quality drop
(DRR126155) and the simulated hard cases (dev-hard), with the shipped read settings."""

import pandas as pd
import pytest

from conftest import DRR, HARD, example_run
from riverfish.asvs import read_fasta
from riverfish.tables import TRACKING_COLUMNS
from riverfish.truth import score_detections


def _tsv(path):
    return pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str)


# --- DRR126155 ----------------------------------------------------------------------------


def test_drr_read_tracking_exact(drr_run):
    t = pd.read_csv(drr_run / "qc" / "read_tracking.tsv", sep="\t")
    row = t.iloc[0]
    got = [int(row[c]) for c in TRACKING_COLUMNS[2:]]
    # raw_pairs, merged, primer_trimmed, length_ok, quality_ok, in_asvs; before (max_diffs
    # 10, no retries, only reads within the error limit counted): 6714, 5052, 4812, 4795,
    # 4132, 4023 (60 % of the pairs in ASVs)
    assert got == [6714, 6353, 6069, 6050, 4750, 5966]
    assert row["merged_after_truncation"] == 661
    assert row["in_asvs"] / row["raw_pairs"] >= 0.85


def test_drr_gets_its_merge_warning(drr_run):
    w = _tsv(drr_run / "qc" / "run_warnings.tsv")
    assert list(w["check"]) == ["merged", "quality_ok"]
    assert list(w["sample"]) == ["", ""]  # said once for the campaign
    assert w["message"][0] == (
        "drr126155: 84.8 % of pairs merged whole (expected ≥ 90 %) in 1 of 1 field samples;"
        " 9.8 % more merged after their 3' ends were cut"
    )
    assert w["setting"][0].startswith("merge.retry_lengths")
    page = (drr_run / "qc" / "run_quality.html").read_text(encoding="utf-8")
    assert "drr126155: 84.8 % of pairs merged whole (expected ≥ 90 %)" in page
    shares = _tsv(drr_run / "qc" / "run_quality.tsv")
    assert list(shares["level"]) == ["campaign", "sample"]
    assert shares["share_merged"][0] == "0.8478"


def test_drr_detections(drr_run):
    d = _tsv(drr_run / "tables" / "detections.tsv")
    got = sorted(zip(d["taxon"], d["rank"], strict=True))
    # Acanthopagrus_sp, Caranx_sp, Fibramia_amboinensis and Luciogobius_sp (100 / 99.4 %
    # identity) were lost to the merge and the error limit before; Planiliza_macrolepis,
    # the run's third most abundant ASV, was Mugilidae only while the database filed it
    # under Chelon and Liza (reference_db/name_fixes.tsv); Cyprinus_sp was Cyprinidae while
    # a Procypris record identical to carp (93 % from the other Procypris record) vetoed it
    assert got == [
        ("Acanthopagrus_sp", "genus"),
        ("Anguilla_sp", "genus"),
        ("Caranx_ignobilis", "species"),
        ("Caranx_sp", "genus"),
        ("Carassius_auratus", "species"),
        ("Carassius_sp", "genus"),
        ("Cyprinus_sp", "genus"),
        ("Eleotris_fusca", "species"),
        ("Eleotris_sp", "genus"),
        ("Fibramia_amboinensis", "species"),
        ("Kuhlia_marginata", "species"),
        ("Kuhlia_rupestris", "species"),
        ("Loricariidae", "family"),
        ("Luciogobius_sp", "genus"),
        ("Mugil_cephalus", "species"),
        ("Mugilidae", "family"),
        ("Oncorhynchus_nerka", "species"),
        ("Oreochromis_niloticus", "species"),
        ("Oreochromis_sp", "genus"),
        ("Planiliza_macrolepis", "species"),
        ("Redigobius_bikolanus", "species"),
        ("Rhinogobius_giurinus", "species"),
        ("Rhinogobius_sp", "genus"),
        ("Scatophagus_argus", "species"),
        ("Tridentiger_sp", "genus"),
    ]


def test_drr_mullet_named_and_every_record_has_an_order(drr_run):
    t = _tsv(drr_run / "taxonomy" / "asv_taxonomy.tsv").set_index("asv_id")
    mullet = t.loc["2978823a11369a51770a778b086c7652"]
    assert (mullet["taxon"], mullet["rank"], mullet["common_name"]) == (
        "Planiliza_macrolepis",
        "species",
        "コボラ",
    )
    (report,) = drr_run.glob("reference/*/build_report.tsv")
    counts = dict(zip(*[_tsv(report)[c] for c in ("item", "count")], strict=True))
    assert counts["order_missing"] == "0" and counts["order_from_curated_table"] == "721"
    assert counts["renamed"] == "11"
    assert (_tsv(drr_run / "taxonomy" / "asv_taxonomy.tsv")["order"] != "").sum() == 42


def _old_settings(config):
    config["merge"] = {"max_diffs": 10, "max_diff_pct": 100, "retry_lengths": []}
    config["denoise"] = {"sample_min_size": 0}


def test_drr_keeps_every_asv_of_the_old_settings(drr_run, tmp_path_factory):
    old = example_run(tmp_path_factory, "drr126155", DRR, _old_settings, "results/asv/asvs.fasta")
    old_asvs = dict(read_fasta(old / "asv" / "asvs.fasta"))
    new_asvs = dict(read_fasta(drr_run / "asv" / "asvs.fasta"))
    assert len(old_asvs) == 26 and len(new_asvs) == 45
    assert set(old_asvs) <= set(new_asvs)


def test_campaign_settings_override_the_read_settings(tmp_path_factory):
    def no_retries(config):
        config["campaign_settings"] = {"drr126155": {"merge": {"retry_lengths": []}}}

    out = example_run(
        tmp_path_factory,
        "drr126155",
        DRR,
        no_retries,
        "results/campaigns/drr126155/reads/stats.tsv",
    )
    stats = _tsv(out / "campaigns" / "drr126155" / "reads" / "stats.tsv")
    assert (stats["merged"][0], stats["merged_after_truncation"][0]) == ("5692", "0")


# --- dev-hard -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hard_truth():
    return _tsv(HARD / "truth_composition.tsv")


def test_hard_close_congeners_detected_everywhere(hard_run, hard_truth):
    """Two species one substitution apart, one far rarer over the campaign pool: both are
    detected at species rank in every sample that holds them (before: 53 of 59)."""
    d = _tsv(hard_run / "tables" / "detections.tsv")
    rows = hard_truth[hard_truth["case"] == "close_congener"]
    assert len(rows) == 59
    found = set(zip(d["sample"], d["taxon"], d["rank"], strict=True))
    missing = [
        (r.sample, r.taxon)
        for r in rows.itertuples()
        if (r.sample, r.taxon, "species") not in found
    ]
    assert missing == []


def test_hard_score_and_no_invented_detections(hard_run, hard_truth):
    """Every truth row detected at the truth's rank, nothing else (before: 428 TP, 50 FP,
    56 FN: 50 novel haplotypes named at genus only, 6 close congeners missed)."""
    d = _tsv(hard_run / "tables" / "detections.tsv")
    score = score_detections(hard_truth, d).set_index("case")
    assert score.loc["all", ["tp", "fp", "fn"]].tolist() == [484, 0, 0]
    assert score.loc["novel_haplotype", ["tp", "fn"]].tolist() == [172, 0]
    assert score.loc["absent_from_reference", ["tp", "fn"]].tolist() == [66, 0]
    assert set(score.index) == {
        "absent_from_reference",
        "close_congener",
        "contaminant_real",
        "genus_tie",
        "novel_haplotype",
        "plain",
        "all",
    }


def test_hard_new_haplotypes_say_why(hard_run):
    t = _tsv(hard_run / "taxonomy" / "asv_taxonomy.tsv")
    new = t[t["basis"].str.startswith("new haplotype")].sort_values("taxon")
    assert list(new["taxon"]) == [
        "Acheilognathus_rhombeus",
        "Channa_argus",
        "Opsariichthys_uncirostris",
        "Sicyopterus_japonicus",
        "Tanakia_lanceolata",
    ]
    assert (new["rank"] == "species").all()
    row = new[new["taxon"] == "Channa_argus"].iloc[0]
    assert row["basis"] == (
        "new haplotype: 98.2 % to Channa_argus (below 98.5 %), next species 96.4 %, "
        "nearest congener of its record 97.6 %"
    )


def test_hard_tallies_equal_the_truth(hard_run):
    truth = _tsv(HARD / "truth_tallies.tsv")
    per = _tsv(hard_run / "tallies" / "basin_campaign.tsv")
    whole = _tsv(hard_run / "tallies" / "basin.tsv").assign(campaign="ALL")
    cols = ["basin", "campaign", "n_orders", "n_families", "n_species"]
    got = pd.concat([per[cols], whole[cols]]).sort_values(["basin", "campaign"])
    assert got.reset_index(drop=True).equals(
        truth[cols].sort_values(["basin", "campaign"]).reset_index(drop=True)
    )


def test_hard_run_quality_names_the_low_depth_samples(hard_run):
    w = _tsv(hard_run / "qc" / "run_warnings.tsv")
    assert list(w["message"]) == [
        "2024-autumn, sample KS-up_2024-autumn_r1: 894 read pairs (expected ≥ 1,000)",
        "2024-autumn, sample KS-mine_2024-autumn_r3: 847 read pairs (expected ≥ 1,000)",
    ]


# --- the good real run: unchanged ---------------------------------------------------------


def test_pmifish_detections_unchanged(pmifish_run):
    """The read steps for poor runs change only read counts on a good run: the same 38
    taxa as with max_diffs 10, no retries and pooled denoising only, and one more from the
    reference review: Upeneus_japonicus, unassigned while a deep-sea Malthopsis record
    identical to it vetoed every rank. Tallies 18/26/37 (16/25/36 before): Embiotocidae
    (Ditrema_sp), Sciaenidae (Nibea_sp), Siganidae and Sillaginidae have orders from
    reference_db/family_orders.tsv, and Mullidae is new."""
    d = _tsv(pmifish_run / "tables" / "detections.tsv")
    got = sorted(zip(d["taxon"], d["rank"], strict=True))
    assert got == PMIFISH_TAXA
    tallies = _tsv(pmifish_run / "tallies" / "basin.tsv").iloc[0]
    assert (tallies["n_orders"], tallies["n_families"], tallies["n_species"]) == ("18", "26", "37")


PMIFISH_TAXA = [
    ("Acanthopagrus_sp", "genus"),
    ("Callionymidae", "family"),
    ("Canthigaster_rivulata", "species"),
    ("Chaenogobius_annularis", "species"),
    ("Ditrema_sp", "genus"),
    ("Engraulis_japonicus", "species"),
    ("Entomacrodus_stellifer", "species"),
    ("Etrumeus_teres", "species"),
    ("Furcina_osimae", "species"),
    ("Girella_leonina", "species"),
    ("Girella_punctata", "species"),
    ("Gymnothorax_kidako", "species"),
    ("Halichoeres_poecilopterus", "species"),
    ("Halichoeres_tenuispinis", "species"),
    ("Hexagrammos_sp", "genus"),
    ("Iso_flosmaris", "species"),
    ("Istiblennius_enosimae", "species"),
    ("Lateolabrax_japonicus", "species"),
    ("Lateolabrax_latus", "species"),
    ("Mugil_cephalus", "species"),
    ("Nibea_sp", "genus"),
    ("Omobranchus_elegans", "species"),
    ("Oplegnathus_fasciatus", "species"),
    ("Parablennius_yatabei", "species"),
    ("Pseudoblennius_marmoratus", "species"),
    ("Pseudoblennius_percoides", "species"),
    ("Pseudolabrus_sieboldi", "species"),
    ("Sagamia_geneionema", "species"),
    ("Salangichthys_ishikawae", "species"),
    ("Sardinops_sp", "genus"),
    ("Scomber_sp", "genus"),
    ("Sebastes_sp", "genus"),
    ("Siganus_fuscescens", "species"),
    ("Sillago_japonica", "species"),
    ("Takifugu_niphobles", "species"),
    ("Takifugu_sp", "genus"),
    ("Thalassoma_cupido", "species"),
    ("Trachurus_sp", "genus"),
    ("Upeneus_japonicus", "species"),
]
