"""The counting rule, tallies, trends, species tables and the traits table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from riverfish import controls, tallies
from riverfish.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dev-campaigns"
TRAITS = ROOT / "reference_db" / "traits.tsv"

LINEAGE = {
    "Salvelinus": ("Salmonidae", "Salmoniformes"),
    "Oncorhynchus": ("Salmonidae", "Salmoniformes"),
    "Cottus": ("Cottidae", "Perciformes"),
    "Rhinogobius": ("Gobiidae", "Gobiiformes"),
    "Zacco": ("Cyprinidae", "Cypriniformes"),
}


def taxa(*specs: tuple[str, str]) -> pd.DataFrame:
    """Taxa from (taxon, rank); genus, family and order filled in from the name."""
    rows = []
    for taxon, rank in specs:
        genus = taxon.split("_")[0] if rank in ("species", "genus") else ""
        if rank in ("species", "genus"):
            family, order = LINEAGE[genus]
        elif rank == "family":
            family, order = (
                taxon,
                {"Cyprinidae": "Cypriniformes", "Cobitidae": "Cypriniformes"}[taxon],
            )
        elif rank == "order":
            family, order = "", taxon
        else:
            family, order = "", ""
        rows.append((taxon, rank, genus, family, order))
    return pd.DataFrame(rows, columns=["taxon", "rank", "genus", "family", "order"])


# ---------------------------------------------------------------------------------------
# the counting rule


def test_species_plus_genus_without_a_species_in_the_group():
    got = tallies.count_taxa(
        taxa(("Salvelinus_leucomaenis", "species"), ("Rhinogobius_sp", "genus"))
    )
    assert got == {"n_orders": 2, "n_families": 2, "n_species": 2}


def test_genus_with_a_species_of_that_genus_present_is_not_counted():
    got = tallies.count_taxa(
        taxa(
            ("Rhinogobius_flumineus", "species"),
            ("Rhinogobius_sp", "genus"),
            ("Salvelinus_leucomaenis", "species"),
        )
    )
    assert got == {"n_orders": 2, "n_families": 2, "n_species": 2}


def test_family_rank_taxon_adds_its_family_and_order_but_no_species():
    got = tallies.count_taxa(taxa(("Salvelinus_leucomaenis", "species"), ("Cyprinidae", "family")))
    assert got == {"n_orders": 2, "n_families": 2, "n_species": 1}
    # a family already counted through a species adds nothing
    got = tallies.count_taxa(taxa(("Zacco_platypus", "species"), ("Cyprinidae", "family")))
    assert got == {"n_orders": 1, "n_families": 1, "n_species": 1}


def test_order_rank_taxon_adds_only_its_order():
    got = tallies.count_taxa(taxa(("Salvelinus_leucomaenis", "species"), ("Perciformes", "order")))
    assert got == {"n_orders": 2, "n_families": 1, "n_species": 1}


def test_unassigned_and_duplicates_count_once_or_not_at_all():
    got = tallies.count_taxa(
        taxa(
            ("Salvelinus_leucomaenis", "species"),
            ("Salvelinus_leucomaenis", "species"),
            ("unassigned", "unassigned"),
        )
    )
    assert got == {"n_orders": 1, "n_families": 1, "n_species": 1}
    assert tallies.count_taxa(taxa()) == {"n_orders": 0, "n_families": 0, "n_species": 0}


# ---------------------------------------------------------------------------------------
# a small monitoring set: campaigns "spring" then "autumn" (not alphabetical)

CAMPAIGNS = ["spring", "autumn"]


def small_samples() -> pd.DataFrame:
    rows = []
    for campaign in CAMPAIGNS:
        for basin, site, role in (
            ("Alpha", "A-up", "reference"),
            ("Alpha", "A-mine", ""),
            ("Beta", "B-1", ""),
        ):
            for rep in (1, 2):
                rows.append(
                    (f"{site}_{campaign}_r{rep}", basin, site, campaign, rep, "sample", role)
                )
        rows.append((f"blank_{campaign}", "Alpha", "Alpha-blank", campaign, 1, "field_blank", ""))
    rows.append(("G-1_autumn_r1", "Gamma", "G-1", "autumn", 1, "sample", ""))
    return pd.DataFrame(
        rows, columns=["sample", "basin", "site", "campaign", "replicate", "type", "site_role"]
    )


def small_site_detections() -> pd.DataFrame:
    """Site-level detections (as from replicate_support)."""
    spec = [
        # basin, site, campaign, taxon, rank, positive, reads, detected
        ("Alpha", "A-up", "spring", "Salvelinus_leucomaenis", "species", 2, 300, True),
        ("Alpha", "A-up", "spring", "Oncorhynchus_masou", "species", 2, 250, True),
        ("Alpha", "A-up", "spring", "Cottus_pollux", "species", 1, 40, True),
        ("Alpha", "A-up", "autumn", "Salvelinus_leucomaenis", "species", 2, 280, True),
        ("Alpha", "A-up", "autumn", "Oncorhynchus_masou", "species", 1, 90, True),
        ("Alpha", "A-up", "autumn", "Cottus_pollux", "species", 2, 150, True),
        ("Alpha", "A-up", "autumn", "Rhinogobius_sp", "genus", 1, 35, True),
        # A-mine in spring: nothing detected (one taxon below the replicate support)
        ("Alpha", "A-mine", "spring", "Zacco_platypus", "species", 1, 12, False),
        ("Alpha", "A-mine", "autumn", "Salvelinus_leucomaenis", "species", 1, 60, True),
        ("Alpha", "A-mine", "autumn", "Rhinogobius_flumineus", "species", 2, 400, True),
        ("Beta", "B-1", "spring", "Zacco_platypus", "species", 2, 800, True),
        ("Beta", "B-1", "autumn", "Zacco_platypus", "species", 2, 700, True),
        ("Beta", "B-1", "autumn", "Cobitidae", "family", 1, 20, True),
    ]
    df = pd.DataFrame(
        spec,
        columns=[
            "basin",
            "site",
            "campaign",
            "taxon",
            "rank",
            "positive_replicates",
            "reads",
            "detected",
        ],
    )
    lineage = taxa(*zip(df["taxon"], df["rank"], strict=True))
    df[["genus", "family", "order"]] = lineage[["genus", "family", "order"]].to_numpy()
    df["common_name"] = ""
    df["total_replicates"] = 2
    df["support"] = df["positive_replicates"].astype(str) + "/2"
    return df


def records(df: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in df.itertuples(index=False, name=None)]


def test_tallies_with_a_site_without_detections():
    basin_campaign, basin, site_campaign = tallies.tallies(
        small_site_detections(), small_samples(), CAMPAIGNS
    )
    assert list(basin_campaign.columns) == [
        "basin",
        "campaign",
        "n_orders",
        "n_families",
        "n_species",
    ]
    assert records(basin_campaign) == [
        ("Alpha", "spring", 2, 2, 3),
        ("Alpha", "autumn", 3, 3, 4),
        ("Beta", "spring", 1, 1, 1),
        ("Beta", "autumn", 1, 2, 1),
        ("Gamma", "autumn", 0, 0, 0),
    ]
    assert list(basin.columns) == ["basin", "n_orders", "n_families", "n_species", "n_campaigns"]
    assert records(basin) == [
        ("Alpha", 3, 3, 4, 2),
        ("Beta", 1, 2, 1, 2),
        ("Gamma", 0, 0, 0, 1),
    ]
    assert list(site_campaign.columns) == [
        "basin",
        "site",
        "campaign",
        "n_orders",
        "n_families",
        "n_species",
    ]
    assert records(site_campaign) == [
        ("Alpha", "A-mine", "spring", 0, 0, 0),
        ("Alpha", "A-up", "spring", 2, 2, 3),
        ("Alpha", "A-mine", "autumn", 2, 2, 2),
        ("Alpha", "A-up", "autumn", 3, 3, 4),
        ("Beta", "B-1", "spring", 1, 1, 1),
        ("Beta", "B-1", "autumn", 1, 2, 1),
        ("Gamma", "G-1", "autumn", 0, 0, 0),
    ]
    assert "Alpha-blank" not in set(site_campaign["site"])


def test_adding_a_campaign_does_not_change_earlier_tallies():
    dets = small_site_detections()
    first, _, _ = tallies.tallies(dets, small_samples(), ["spring"])
    both, _, _ = tallies.tallies(dets, small_samples(), CAMPAIGNS)
    spring = both.loc[both["campaign"] == "spring"].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, spring)


def test_richness_trend():
    _, _, site_campaign = tallies.tallies(small_site_detections(), small_samples(), CAMPAIGNS)
    trend = tallies.richness_trend(site_campaign, CAMPAIGNS)
    assert list(trend.columns) == [
        "basin",
        "site",
        "campaign",
        "n_orders",
        "n_families",
        "n_species",
        "change_from_previous",
        "change_from_first",
    ]
    mine = trend.loc[trend["site"] == "A-mine"]
    assert mine["campaign"].tolist() == ["spring", "autumn"]
    assert mine["n_species"].tolist() == [0, 2]
    assert mine["change_from_previous"].isna().tolist() == [True, False]
    assert int(mine["change_from_previous"].iloc[1]) == 2
    assert int(mine["change_from_first"].iloc[1]) == 2
    assert trend.loc[trend["site"] == "G-1", "change_from_first"].isna().all()


def test_similarity_to_reference_site():
    sim = tallies.similarity_to_reference(small_site_detections(), small_samples(), CAMPAIGNS)
    assert list(sim.columns) == [
        "basin",
        "campaign",
        "site",
        "reference_site",
        "n_taxa",
        "n_taxa_reference",
        "n_shared",
        "jaccard",
        "sorensen",
        "note",
    ]
    alpha = sim.loc[sim["basin"] == "Alpha"]
    assert records(alpha[["campaign", "site", "reference_site", "n_taxa", "n_shared"]]) == [
        ("spring", "A-mine", "A-up", 0, 0),
        ("spring", "A-up", "A-up", 3, 3),
        ("autumn", "A-mine", "A-up", 2, 1),
        ("autumn", "A-up", "A-up", 4, 4),
    ]
    # autumn: A-mine {Salvelinus, R. flumineus} vs A-up {Salvelinus, Oncorhynchus, Cottus,
    # Rhinogobius_sp}: 1 shared of 5 -> Jaccard 1/5, Sørensen 2*1/(2+4) = 1/3
    assert alpha["jaccard"].tolist() == pytest.approx([0.0, 1.0, 0.2, 1.0])
    assert alpha["sorensen"].tolist() == pytest.approx([0.0, 1.0, 1 / 3, 1.0])
    assert alpha["note"].tolist() == ["", "reference site", "", "reference site"]


def test_similarity_without_a_reference_site_is_nan_with_a_note():
    sim = tallies.similarity_to_reference(small_site_detections(), small_samples(), CAMPAIGNS)
    beta = sim.loc[sim["basin"].isin(["Beta", "Gamma"])]
    assert len(beta) == 3
    assert beta["jaccard"].isna().all() and beta["sorensen"].isna().all()
    assert set(beta["note"]) == {"no reference site: similarity not computable"}
    assert set(beta["reference_site"]) == {""}


def test_two_reference_sites_in_a_basin_are_an_input_error():
    samples = small_samples()
    samples.loc[samples["site"] == "A-mine", "site_role"] = "reference"
    with pytest.raises(InputError, match="Alpha"):
        tallies.similarity_to_reference(small_site_detections(), samples, CAMPAIGNS)


def test_first_last_detection():
    table = tallies.first_last_detection(small_site_detections(), CAMPAIGNS)
    assert list(table.columns) == [
        "basin",
        "taxon",
        "rank",
        "genus",
        "family",
        "order",
        "common_name",
        "first_campaign",
        "last_campaign",
        "n_campaigns_detected",
        "campaigns_detected",
        "sites",
    ]
    got = records(
        table[
            ["basin", "taxon", "first_campaign", "last_campaign", "n_campaigns_detected", "sites"]
        ]
    )
    assert got == [
        ("Alpha", "Rhinogobius_flumineus", "autumn", "autumn", 1, "A-mine"),
        ("Alpha", "Rhinogobius_sp", "autumn", "autumn", 1, "A-up"),
        ("Alpha", "Cottus_pollux", "spring", "autumn", 2, "A-up"),
        ("Alpha", "Oncorhynchus_masou", "spring", "autumn", 2, "A-up"),
        ("Alpha", "Salvelinus_leucomaenis", "spring", "autumn", 2, "A-mine, A-up"),
        ("Beta", "Cobitidae", "autumn", "autumn", 1, "B-1"),
        ("Beta", "Zacco_platypus", "spring", "autumn", 2, "B-1"),
    ]


def small_traits() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("Salvelinus_leucomaenis", "yes", "anadromous", "native", "", "KM2001"),
            ("Oncorhynchus_masou", "yes", "anadromous", "native", "NT", "RL2020"),
            ("Cottus_pollux", "yes", "no", "native", "NT", "RL2020"),
            ("Rhinogobius_flumineus", "no", "no", "native", "", "KM2001"),
            ("Zacco_platypus", "no", "no", "alien_domestic", "", "KM2001"),
        ],
        columns=["species", "cold_clean_water", "migratory", "alien", "redlist_japan", "source"],
    )


def test_indicator_summary():
    table = tallies.indicator_summary(
        small_site_detections(), small_traits(), CAMPAIGNS, samples=small_samples()
    )
    assert list(table.columns) == ["basin", "campaign", "group", "n_taxa", "taxa"]
    autumn = table.loc[(table["basin"] == "Alpha") & (table["campaign"] == "autumn")]
    assert records(autumn[["group", "n_taxa", "taxa"]]) == [
        ("cold_clean_water", 3, "Cottus_pollux, Oncorhynchus_masou, Salvelinus_leucomaenis"),
        (
            "migratory",
            2,
            "Oncorhynchus_masou (anadromous), Salvelinus_leucomaenis (anadromous)",
        ),
        ("alien", 0, ""),
        ("redlisted", 2, "Cottus_pollux (NT), Oncorhynchus_masou (NT)"),
        ("not_in_traits", 1, "Rhinogobius_sp"),
    ]
    beta_spring = table.loc[(table["basin"] == "Beta") & (table["campaign"] == "spring")]
    assert beta_spring.set_index("group").loc["alien", "taxa"] == "Zacco_platypus (alien_domestic)"
    gamma = table.loc[table["basin"] == "Gamma"]
    assert len(gamma) == 5 and gamma["n_taxa"].sum() == 0
    # basin × campaign order: campaigns in the given order
    assert table["campaign"].iloc[0] == "spring"


def test_species_table_cells():
    table = tallies.species_table(
        small_site_detections(), taxa(), CAMPAIGNS, "Alpha", samples=small_samples()
    )
    assert list(table.columns) == [
        "order",
        "family",
        "taxon",
        "rank",
        "common_name",
        # sites in the sheet's order (upstream reference first), not alphabetical
        "spring / A-up",
        "spring / A-mine",
        "autumn / A-up",
        "autumn / A-mine",
    ]
    without_sheets = tallies.species_table(small_site_detections(), taxa(), CAMPAIGNS, "Alpha")
    assert list(without_sheets.columns)[5:7] == ["spring / A-mine", "spring / A-up"]
    # sorted by order (Gobiiformes, Perciformes, Salmoniformes), family, taxon
    assert table["taxon"].tolist() == [
        "Rhinogobius_flumineus",
        "Rhinogobius_sp",
        "Cottus_pollux",
        "Oncorhynchus_masou",
        "Salvelinus_leucomaenis",
    ]
    cells = table.set_index("taxon")
    assert cells.loc["Salvelinus_leucomaenis", "spring / A-up"] == "2/2 (300)"
    assert cells.loc["Salvelinus_leucomaenis", "autumn / A-mine"] == "1/2 (60)"
    assert cells.loc["Salvelinus_leucomaenis", "spring / A-mine"] == ""
    assert cells.loc["Rhinogobius_sp", "autumn / A-up"] == "1/2 (35)"
    assert cells.loc["Cottus_pollux", "family"] == "Cottidae"
    # the undetected Zacco_platypus at A-mine is not a row
    assert "Zacco_platypus" not in set(table["taxon"])


def test_species_table_uses_the_given_taxonomy_names():
    info = pd.DataFrame(
        {
            "taxon": ["Cottus_pollux"],
            "order": ["Perciformes"],
            "family": ["Cottidae"],
            "rank": ["species"],
            "common_name": ["カジカ"],
        }
    )
    table = tallies.species_table(small_site_detections(), info, CAMPAIGNS, "Alpha")
    assert table.set_index("taxon").loc["Cottus_pollux", "common_name"] == "カジカ"
    # without samples, only the site × campaign columns present in the detections
    assert len(table.columns) == 5 + 4


def test_species_table_cells_as_symbols_replicates_or_reads():
    args = (small_site_detections(), taxa(), CAMPAIGNS, "Alpha")
    kw = {"samples": small_samples()}
    symbols = tallies.species_table(*args, **kw, cells="symbols").set_index("taxon")
    reps = tallies.species_table(*args, **kw, cells="replicates").set_index("taxon")
    reads = tallies.species_table(*args, **kw, cells="reads").set_index("taxon")
    assert symbols.loc["Salvelinus_leucomaenis", "spring / A-up"] == "○"
    assert symbols.loc["Salvelinus_leucomaenis", "spring / A-mine"] == ""
    assert reps.loc["Salvelinus_leucomaenis", "autumn / A-mine"] == 1
    assert reps.loc["Cottus_pollux", "autumn / A-up"] == 2
    assert pd.isna(reps.loc["Salvelinus_leucomaenis", "spring / A-mine"])
    assert reads.loc["Rhinogobius_flumineus", "autumn / A-mine"] == 400
    assert str(reads["spring / A-up"].dtype) == "Int64"
    # the same taxa and columns whatever the cells show
    assert list(symbols.index) == list(reps.index) == list(reads.index)
    with pytest.raises(ValueError, match="cells must be one of"):
        tallies.species_table(*args, cells="ticks")


def test_species_tsv(tmp_path):
    table = tallies.species_table(small_site_detections(), taxa(), CAMPAIGNS, "Beta")
    path = tmp_path / "Beta.tsv"
    tallies.write_species_tsv(table, path)
    back = pd.read_csv(path, sep="\t", keep_default_na=False)
    assert back.columns.tolist() == [
        "order",
        "family",
        "taxon",
        "rank",
        "common_name",
        "spring / B-1",
        "autumn / B-1",
    ]
    assert back["autumn / B-1"].tolist() == ["1/2 (20)", "2/2 (700)"]


# ---------------------------------------------------------------------------------------
# traits


def test_starter_traits_table_is_valid_and_covers_the_test_species():
    traits = tallies.read_traits(TRAITS)
    assert 40 <= len(traits) <= 60
    assert traits["species"].is_unique
    wanted = {
        "Anguilla_japonica": ("no", "catadromous", "native", "EN"),
        "Micropterus_salmoides": ("no", "no", "alien_foreign", ""),
        "Oncorhynchus_mykiss": ("yes", "no", "alien_foreign", ""),
        "Niwaella_delicata": ("yes", "no", "native", "VU"),
    }
    indexed = traits.set_index("species")
    for species, values in wanted.items():
        assert (
            tuple(indexed.loc[species, ["cold_clean_water", "migratory", "alien", "redlist_japan"]])
            == values
        )
    if DEV.is_dir():
        truth = pd.read_csv(DEV / "truth_composition.tsv", sep="\t")
        species = set(truth.loc[truth["rank"] == "species", "taxon"])
        assert species <= set(traits["species"])


def test_read_traits_names_file_and_line(tmp_path):
    path = tmp_path / "traits.tsv"
    path.write_text(
        "# comment line\n"
        "species\tcold_clean_water\tmigratory\talien\tredlist_japan\tsource\n"
        "Salvelinus_leucomaenis\tyes\tanadromous\tnative\t\tKM2001\n"
        "Oryzias_latipes\tmaybe\tno\tnative\tVU\tRL2020\n"
    )
    with pytest.raises(InputError) as err:
        tallies.read_traits(path)
    assert f"{path}, line 4" in str(err.value) and "maybe" in str(err.value)

    path.write_text("species\tmigratory\nSalvelinus_leucomaenis\tanadromous\n")
    with pytest.raises(InputError, match="line 1.*cold_clean_water"):
        tallies.read_traits(path)

    path.write_text(
        "species\tcold_clean_water\tmigratory\talien\tredlist_japan\tsource\n"
        "Salvelinus leucomaenis\tyes\tanadromous\tnative\t\tKM2001\n"
    )
    with pytest.raises(InputError, match="line 2.*Genus_epithet"):
        tallies.read_traits(path)


# ---------------------------------------------------------------------------------------
# the simulated two-basin set, taken as a perfect detection result


@pytest.mark.skipif(not DEV.is_dir(), reason=f"the shared data set is not at {DEV}")
def test_tallies_reproduce_the_truth_of_the_simulated_set():
    samples = pd.read_csv(DEV / "samples.tsv", sep="\t", keep_default_na=False, na_values=[""])
    truth = pd.read_csv(DEV / "truth_composition.tsv", sep="\t")
    campaigns = list(dict.fromkeys(samples["campaign"]))
    dets = truth.rename(columns={"expected_reads": "reads"}).merge(
        samples.loc[:, ["sample", "basin", "site", "campaign", "replicate"]], on="sample"
    )
    assert len(dets) == len(truth)
    support = controls.replicate_support(dets, samples, min_replicates=1)
    basin_campaign, basin, site_campaign = tallies.tallies(support, samples, campaigns)

    expected = pd.read_csv(DEV / "truth_tallies.tsv", sep="\t")
    got = pd.concat(
        [basin_campaign, basin.drop(columns="n_campaigns").assign(campaign="ALL")],
        ignore_index=True,
    )
    cols = ["basin", "campaign", "n_orders", "n_families", "n_species"]
    got = got.loc[:, cols].sort_values(["basin", "campaign"]).reset_index(drop=True)
    expected = expected.loc[:, cols].sort_values(["basin", "campaign"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)

    expected_sites = pd.read_csv(DEV / "truth_sites.tsv", sep="\t")
    cols = ["basin", "site", "campaign", "n_species"]
    got_sites = site_campaign.loc[:, cols].sort_values(cols[:3]).reset_index(drop=True)
    expected_sites = expected_sites.loc[:, cols].sort_values(cols[:3]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got_sites, expected_sites, check_dtype=False)
    assert (basin["n_campaigns"] == 2).all()
