"""From vsearch hits to taxa: thresholds, near-best LCA, ties, reading hits, a real search."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from riverfish.classify import (
    ASSIGNMENT_COLUMNS,
    DEFAULT_THRESHOLDS,
    HIT_COLUMNS,
    VSEARCH_USERFIELDS,
    NewHaplotypeRule,
    assign_taxa,
    new_haplotype_references,
    read_hits,
    read_references,
    validate_thresholds,
)
from riverfish.errors import InputError, ToolError
from riverfish.refdb import build_database, write_database
from riverfish.refinputs import read_fasta

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "reference"

REFS = pd.DataFrame(
    [
        # ref_id, label, species, genus, family, order, common_name, note
        ("t1", "Tridentiger_obscurus", "Tridentiger_obscurus", "Tridentiger", "Gobiidae",
         "Gobiiformes", "チチブ", "species"),
        ("t2", "Tridentiger_brevispinis", "Tridentiger_brevispinis", "Tridentiger", "Gobiidae",
         "Gobiiformes", "ヌマチチブ", "species"),
        ("t3", "Tridentiger_kuroiwae", "Tridentiger_kuroiwae", "Tridentiger", "Gobiidae",
         "Gobiiformes", "", "species"),
        ("r1", "Rhinogobius_sp_OR", "", "Rhinogobius", "Gobiidae", "Gobiiformes",
         "トウヨシノボリ", "informal"),
        ("r2", "Rhinogobius_kurodai", "Rhinogobius_kurodai", "Rhinogobius", "Gobiidae",
         "Gobiiformes", "", "species"),
        ("o1", "Oncorhynchus_mykiss", "Oncorhynchus_mykiss", "Oncorhynchus", "Salmonidae",
         "Salmoniformes", "ニジマス", "species"),
        ("o2", "Oncorhynchus_masou_masou", "Oncorhynchus_masou", "Oncorhynchus", "Salmonidae",
         "Salmoniformes", "サクラマス", "subspecies"),
        ("o3", "Oncorhynchus_mykiss", "Oncorhynchus_mykiss", "Oncorhynchus", "Salmonidae",
         "Salmoniformes", "ニジマス", "species"),
        ("s1", "Salvelinus_leucomaenis", "Salvelinus_leucomaenis", "Salvelinus", "Salmonidae",
         "Salmoniformes", "アメマス", "species"),
        ("c1", "Chromis_notata", "Chromis_notata", "Chromis", "Pomacentridae", "",
         "スズメダイ", "species"),
        ("p1", "Plecoglossus_altivelis", "Plecoglossus_altivelis", "Plecoglossus",
         "Plecoglossidae", "Osmeriformes", "アユ", "species"),
    ],
    columns=["ref_id", "label", "species", "genus", "family", "order", "common_name", "note"],
)  # fmt: skip


def hits_of(*rows: tuple[str, str, float]) -> pd.DataFrame:
    """A hits table from (asv_id, ref_id, identity) rows."""
    table = pd.DataFrame(list(rows), columns=["asv_id", "ref_id", "identity"])
    table["alnlen"] = 170
    table["mism"] = 0
    table["opens"] = 0
    return table


def one(asv: str, *hits: tuple[str, float], **kwargs) -> dict:
    """Assign one ASV with (ref_id, identity) hits; return its row as a dict."""
    table = assign_taxa([asv], hits_of(*[(asv, r, i) for r, i in hits]), REFS, **kwargs)
    assert list(table.columns) == list(ASSIGNMENT_COLUMNS)
    assert len(table) == 1
    return table.iloc[0].to_dict()


def call(row: dict) -> tuple:
    return (row["taxon"], row["rank"], row["species"], row["genus"], row["family"], row["order"])


def test_clean_species_call():
    row = one("a", ("o1", 100.0), ("o3", 99.9), ("o2", 97.0), ("s1", 93.0))
    assert call(row) == (
        "Oncorhynchus_mykiss",
        "species",
        "Oncorhynchus_mykiss",
        "Oncorhynchus",
        "Salmonidae",
        "Salmoniformes",
    )
    assert row["best_identity"] == 100.0
    assert row["candidates"] == "Oncorhynchus_mykiss"
    assert row["common_name"] == "ニジマス"
    assert row["next_species_identity"] == 97.0
    assert row["margin_to_next_species"] == 3.0
    assert (row["n_hits"], row["n_near_best"]) == (4, 2)


def test_species_tie_gives_genus_with_candidates():
    row = one("a", ("t1", 100.0), ("t2", 100.0), ("t3", 99.0))
    assert call(row) == ("Tridentiger_sp", "genus", "", "Tridentiger", "Gobiidae", "Gobiiformes")
    assert row["candidates"] == "Tridentiger_brevispinis;Tridentiger_obscurus"
    assert row["common_name"] == "ヌマチチブ/チチブ"
    assert row["next_species_identity"] == 100.0
    assert row["margin_to_next_species"] == 0.0
    assert (row["n_hits"], row["n_near_best"]) == (3, 2)


def test_genus_call_with_an_unnamed_candidate_carries_the_genus_not_one_species_name():
    row = one("a", ("t1", 100.0), ("t3", 100.0))
    assert row["candidates"] == "Tridentiger_kuroiwae;Tridentiger_obscurus"
    # only T. obscurus (チチブ) has a Japanese name: that name would claim one species
    assert row["common_name"] == "Tridentiger属"


def test_tie_across_genera_of_one_family_gives_family():
    row = one("a", ("o1", 99.0), ("s1", 99.0))
    assert call(row) == ("Salmonidae", "family", "", "", "Salmonidae", "Salmoniformes")
    assert row["candidates"] == "Oncorhynchus_mykiss;Salvelinus_leucomaenis"
    assert row["common_name"] == ""


def test_tie_across_orders_is_unassigned():
    row = one("a", ("o1", 99.0), ("p1", 99.0))
    assert call(row) == ("unassigned", "unassigned", "", "", "", "")
    assert row["candidates"] == "Oncorhynchus_mykiss;Plecoglossus_altivelis"
    assert (row["best_identity"], row["n_hits"]) == (99.0, 2)


@pytest.mark.parametrize(
    ("identity", "taxon", "rank"),
    [
        (100.0, "Oncorhynchus_mykiss", "species"),
        (98.5, "Oncorhynchus_mykiss", "species"),
        (98.49, "Oncorhynchus_sp", "genus"),
        (96.0, "Oncorhynchus_sp", "genus"),
        (95.99, "Salmonidae", "family"),
        (90.0, "Salmonidae", "family"),
        (89.99, "Salmoniformes", "order"),
        (85.0, "Salmoniformes", "order"),
        (84.99, "unassigned", "unassigned"),
    ],
)
def test_best_identity_at_each_threshold(identity, taxon, rank):
    row = one("a", ("o1", identity))
    assert (row["taxon"], row["rank"]) == (taxon, rank)
    assert row["best_identity"] == identity
    assert row["candidates"] == "Oncorhynchus_mykiss"


def test_names_are_filled_down_to_the_rank_only():
    genus = one("a", ("o1", 97.0))
    assert call(genus) == (
        "Oncorhynchus_sp",
        "genus",
        "",
        "Oncorhynchus",
        "Salmonidae",
        "Salmoniformes",
    )
    # below the species threshold the ASV may be another Oncorhynchus: not ニジマス
    assert genus["common_name"] == "Oncorhynchus属"
    family = one("a", ("o1", 92.0))
    assert call(family) == ("Salmonidae", "family", "", "", "Salmonidae", "Salmoniformes")
    assert family["common_name"] == ""
    order = one("a", ("o1", 86.0))
    assert call(order) == ("Salmoniformes", "order", "", "", "", "Salmoniformes")


def test_margin_second_species_just_inside():
    row = one("a", ("o1", 99.0), ("o2", 98.6))
    assert (row["taxon"], row["rank"]) == ("Oncorhynchus_sp", "genus")
    assert row["candidates"] == "Oncorhynchus_masou;Oncorhynchus_mykiss"
    assert row["common_name"] == "サクラマス/ニジマス"
    assert (row["next_species_identity"], row["margin_to_next_species"]) == (98.6, 0.4)
    assert row["n_near_best"] == 2


def test_margin_second_species_exactly_at_margin_is_inside():
    row = one("a", ("o1", 99.0), ("o2", 98.5))
    assert (row["taxon"], row["rank"]) == ("Oncorhynchus_sp", "genus")


def test_margin_second_species_just_outside():
    row = one("a", ("o1", 99.0), ("o2", 98.4))
    assert (row["taxon"], row["rank"]) == ("Oncorhynchus_mykiss", "species")
    assert row["candidates"] == "Oncorhynchus_mykiss"
    assert (row["next_species_identity"], row["margin_to_next_species"]) == (98.4, 0.6)
    assert row["n_near_best"] == 1


def test_margin_is_configurable():
    row = one("a", ("o1", 99.0), ("o2", 98.4), margin=1.0)
    assert (row["taxon"], row["rank"]) == ("Oncorhynchus_sp", "genus")
    row = one("a", ("o1", 99.0), ("o2", 98.6), margin=0.0)
    assert (row["taxon"], row["rank"]) == ("Oncorhynchus_mykiss", "species")


def test_genus_only_reference_tied_with_a_species():
    row = one("a", ("r1", 100.0), ("r2", 100.0))
    assert call(row) == ("Rhinogobius_sp", "genus", "", "Rhinogobius", "Gobiidae", "Gobiiformes")
    assert row["candidates"] == "Rhinogobius_kurodai;Rhinogobius_sp_OR"
    assert row["common_name"] == "Rhinogobius属"  # R. kurodai has no name here
    assert row["next_species_identity"] == 100.0


def test_genus_only_reference_alone_gives_genus():
    row = one("a", ("r1", 100.0), ("r2", 97.0))
    assert call(row) == ("Rhinogobius_sp", "genus", "", "Rhinogobius", "Gobiidae", "Gobiiformes")
    assert row["candidates"] == "Rhinogobius_sp_OR"
    assert row["common_name"] == "トウヨシノボリ"
    assert (row["next_species_identity"], row["margin_to_next_species"]) == (97.0, 3.0)


def test_family_without_order_in_the_lineage():
    row = one("a", ("c1", 92.0))
    assert call(row) == ("Pomacentridae", "family", "", "", "Pomacentridae", "")
    assert call(one("a", ("c1", 87.0))) == ("unassigned", "unassigned", "", "", "", "")


def test_asv_without_hits_and_output_order():
    hits = hits_of(("m", "o1", 100.0), ("z", "t1", 100.0), ("z", "t2", 100.0), ("x", "s1", 99.0))
    table = assign_taxa(["z", "a", "m"], hits, REFS)
    assert table["asv_id"].tolist() == ["z", "a", "m"]
    assert table["taxon"].tolist() == ["Tridentiger_sp", "unassigned", "Oncorhynchus_mykiss"]
    missing = table.iloc[1].to_dict()
    assert (missing["rank"], missing["n_hits"], missing["n_near_best"]) == ("unassigned", 0, 0)
    assert math.isnan(missing["best_identity"])
    assert math.isnan(missing["next_species_identity"])
    assert missing["candidates"] == "" and missing["common_name"] == ""
    assert table["n_hits"].tolist() == [2, 0, 1]  # the hit of "x" (not asked for) is ignored


def test_no_hits_at_all():
    table = assign_taxa(["a", "b"], hits_of(), REFS)
    assert table["rank"].tolist() == ["unassigned", "unassigned"]
    assert table["n_hits"].tolist() == [0, 0]


def test_result_does_not_depend_on_hit_order():
    rows = [
        ("a", "t1", 100.0),
        ("a", "t2", 100.0),
        ("a", "r1", 97.2),
        ("b", "o1", 99.0),
        ("b", "o3", 99.0),
        ("b", "o2", 98.7),
        ("b", "s1", 95.0),
    ]
    forward = assign_taxa(["a", "b"], hits_of(*rows), REFS)
    backward = assign_taxa(["a", "b"], hits_of(*reversed(rows)), REFS)
    pd.testing.assert_frame_equal(forward, backward)
    assert forward["next_species_identity"].tolist() == [100.0, 98.7]


def test_identities_are_rounded():
    row = one("a", ("o1", 99.41176), ("o2", 96.47059))
    assert (row["best_identity"], row["next_species_identity"]) == (99.41, 96.47)
    assert row["margin_to_next_species"] == 2.94


def test_hits_against_another_database_are_refused():
    with pytest.raises(InputError, match="not in the reference taxonomy, e.g. zz9"):
        assign_taxa(["a"], hits_of(("a", "zz9", 100.0)), REFS)


def test_duplicate_asv_ids_are_refused():
    with pytest.raises(InputError, match="more than once: a"):
        assign_taxa(["a", "b", "a"], hits_of(), REFS)


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        (
            {"species": 95.0, "genus": 96.0, "family": 90.0, "order": 85.0},
            "below the one for genus",
        ),
        (
            {"species": 98.5, "genus": 96.0, "family": 80.0, "order": 85.0},
            "below the one for order",
        ),
        ({"species": 100.5, "genus": 96.0, "family": 90.0, "order": 85.0}, r"in \(0, 100\]"),
        ({"species": 98.5, "genus": 96.0, "family": 90.0, "order": 0.0}, r"in \(0, 100\]"),
        ({"species": 98.5, "genus": 96.0, "family": 90.0}, "missing order"),
        (
            {"species": 98.5, "genus": 96.0, "family": 90.0, "order": 85, "class": 80},
            "unknown class",
        ),
        ({"species": 0.985, "genus": 0.96, "family": 0.9, "order": 0.85}, "look like fractions"),
        ({"species": "high", "genus": 96.0, "family": 90.0, "order": 85.0}, "not a number"),
    ],
)
def test_invalid_thresholds(thresholds, message):
    with pytest.raises(InputError, match=message):
        assign_taxa(["a"], hits_of(), REFS, thresholds=thresholds)


def test_valid_thresholds_and_margin():
    assert validate_thresholds(DEFAULT_THRESHOLDS) == {
        "species": 98.5,
        "genus": 96.0,
        "family": 90.0,
        "order": 85.0,
    }
    with pytest.raises(InputError, match="near-best margin"):
        validate_thresholds(DEFAULT_THRESHOLDS, margin=-0.1)


# --------------------------------------------------------------------------------------
# Reading vsearch output
# --------------------------------------------------------------------------------------


def test_read_hits(tmp_path):
    path = tmp_path / "hits.tsv"
    path.write_text("asv1\tAB1\t100.0\t170\t0\t0\nasv2;size=12\tAB2\t98.8\t171\t2\t1\n")
    hits = read_hits(path)
    assert list(hits.columns) == list(HIT_COLUMNS)
    assert hits["asv_id"].tolist() == ["asv1", "asv2"]
    assert hits["ref_id"].tolist() == ["AB1", "AB2"]
    assert hits["identity"].tolist() == [100.0, 98.8]
    assert hits[["alnlen", "mism", "opens"]].values.tolist() == [[170, 0, 0], [171, 2, 1]]


def test_read_hits_empty_file(tmp_path):
    path = tmp_path / "hits.tsv"
    path.write_text("")
    hits = read_hits(path)
    assert list(hits.columns) == list(HIT_COLUMNS) and len(hits) == 0
    assert assign_taxa(["a"], hits, REFS)["rank"].tolist() == ["unassigned"]


def test_read_hits_wrong_field_count(tmp_path):
    path = tmp_path / "hits.tsv"
    path.write_text("asv1\tAB1\t100.0\t170\t0\t0\nasv2\tAB2\t98.8\t171\n")
    with pytest.raises(ToolError) as err:
        read_hits(path)
    message = str(err.value)
    assert f"{path}, line 2: 4 tab-separated field(s), expected 6" in message
    assert VSEARCH_USERFIELDS in message


def test_read_hits_non_numeric_identity(tmp_path):
    path = tmp_path / "hits.tsv"
    path.write_text("asv1\tAB1\t100.0\t170\t0\t0\nasv1\tAB2\t*\t170\t0\t0\n")
    with pytest.raises(ToolError, match=r"line 2: identity '\*' is not a number"):
        read_hits(path)


def test_references_roundtrip_through_the_taxonomy_file(tmp_path):
    path = tmp_path / "taxonomy.tsv"
    REFS.to_csv(path, sep="\t", index=False)
    refs = read_references(path)
    row = assign_taxa(["a"], hits_of(("a", "r1", 100.0), ("a", "r2", 100.0)), refs).iloc[0]
    assert (row["taxon"], row["candidates"]) == (
        "Rhinogobius_sp",
        "Rhinogobius_kurodai;Rhinogobius_sp_OR",
    )
    bad = tmp_path / "bad.tsv"
    bad.write_text("ref_id\tspecies\nAB1\tOryzias_latipes\n")
    with pytest.raises(InputError, match="lacks column"):
        read_references(bad)


# --------------------------------------------------------------------------------------
# A real search against the shared database
# --------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("vsearch") is None, reason="vsearch not on PATH")
@pytest.mark.skipif(
    not (REFERENCE / "MiFish_DB.fas").is_file(),
    reason=f"the shared MiFish reference database is not beside the project ({REFERENCE})",
)
def test_vsearch_on_real_sequences(tmp_path):
    curated = Path(__file__).resolve().parents[1] / "reference_db"
    result = build_database(
        REFERENCE / "MiFish_DB.fas",
        REFERENCE / "lineage.csv",
        REFERENCE / "Family_name.txt",
        REFERENCE / "Sname_Jname.txt",
        name_fixes_path=curated / "name_fixes.tsv",
        family_orders_path=curated / "family_orders.tsv",
    )
    refs_fasta, taxonomy = tmp_path / "refs.fasta", tmp_path / "taxonomy.tsv"
    write_database(result, refs_fasta, taxonomy, tmp_path / "report.tsv")
    sequences = {r.header: r.sequence for r in read_fasta(refs_fasta)}
    queries = {
        "q_mykiss": sequences["175_0_018"],  # Oncorhynchus_mykiss
        "q_tridentiger": sequences["460_3_001"],  # T. obscurus = T. brevispinis = T. kuroiwae
        "q_cobitis": sequences["106_0_013"],  # C. takenoi = C. striata = C. magnostriata
    }
    asvs = tmp_path / "asvs.fasta"
    asvs.write_text("".join(f">{k}\n{v}\n" for k, v in queries.items()))
    hits_path = tmp_path / "hits.tsv"
    subprocess.run(
        [
            "vsearch",
            "--usearch_global", str(asvs),
            "--db", str(refs_fasta),
            "--id", "0.80",
            "--maxaccepts", "0",
            "--maxrejects", "0",
            "--strand", "both",
            "--userout", str(hits_path),
            "--userfields", VSEARCH_USERFIELDS,
            "--threads", "1",
            "--quiet",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    table = assign_taxa(list(queries), read_hits(hits_path), read_references(taxonomy))
    rows = {r.asv_id: r for r in table.itertuples()}

    mykiss = rows["q_mykiss"]
    assert (mykiss.taxon, mykiss.rank, mykiss.family) == (
        "Oncorhynchus_mykiss",
        "species",
        "Salmonidae",
    )
    assert (mykiss.best_identity, mykiss.common_name) == (100.0, "ニジマス")

    tridentiger = rows["q_tridentiger"]
    assert (tridentiger.taxon, tridentiger.rank) == ("Tridentiger_sp", "genus")
    assert {"Tridentiger_obscurus", "Tridentiger_brevispinis", "Tridentiger_kuroiwae"} <= set(
        tridentiger.candidates.split(";")
    )
    assert tridentiger.margin_to_next_species == 0.0

    cobitis = rows["q_cobitis"]
    assert (cobitis.taxon, cobitis.rank, cobitis.family) == ("Cobitis_sp", "genus", "Cobitidae")
    assert cobitis.candidates == "Cobitis_magnostriata;Cobitis_striata;Cobitis_takenoi"


# --- new haplotypes: named their species below the species threshold ---------------------

RULE = NewHaplotypeRule()


def test_new_haplotype_named_its_species():
    # 98.2 % to O. mykiss, the next species (masou) 96.0 %: 1.8 % vs 4 % away; the mykiss
    # record's nearest congener is 97.0 % (3 % away): an unrepresented sister species
    # would likely be as far
    row = one(
        "a", ("o1", 98.2), ("o3", 97.9), ("o2", 96.0),
        new_haplotypes=RULE, congener_identity={"o1": 97.0},
    )  # fmt: skip
    assert (row["taxon"], row["rank"], row["common_name"]) == (
        "Oncorhynchus_mykiss", "species", "ニジマス",
    )  # fmt: skip
    assert row["basis"] == (
        "new haplotype: 98.2 % to Oncorhynchus_mykiss (below 98.5 %), next species 96.0 %, "
        "nearest congener of its record 97.0 %"
    )


@pytest.mark.parametrize(
    ("hits", "congener", "why"),
    [
        # below the relaxed threshold
        ((("o1", 97.9), ("o2", 95.0)), {}, "below 98 %"),
        # the next species too close in points
        ((("o1", 98.2), ("o2", 97.5)), {}, "next species 97.5 %, less than 1 points lower"),
        # 1 point lower but not twice as far (1.9 % vs 2.9 %)
        ((("o1", 98.1), ("o2", 97.1)), {}, "next species 97.1 %, not 2 times as far"),
        # its record has a congener closer than the ASV is to it
        (
            (("o1", 98.2), ("o2", 95.0)),
            {"o1": 98.6},
            "its species' record is 98.6 % to a congener: a missing sister species could "
            "be as close",
        ),
    ],
)
def test_new_haplotype_refused(hits, congener, why):
    row = one("a", *hits, new_haplotypes=RULE, congener_identity=congener)
    assert (row["taxon"], row["rank"]) == ("Oncorhynchus_sp", "genus")
    assert row["common_name"] == "Oncorhynchus属"
    if why.startswith("below"):
        assert row["basis"] == "species: threshold 98.5 % not reached (97.9 %)"
    else:
        assert row["basis"].endswith(f"; not a new haplotype: {why}")


def test_new_haplotype_rule_off_and_ties_untouched():
    off = one("a", ("o1", 98.2), ("o2", 96.0), new_haplotypes=NewHaplotypeRule(enabled=False))
    assert off["rank"] == "genus"
    # two species in the near-best hits stay a tie whatever the rule
    tie = one("a", ("t1", 98.2), ("t2", 98.0), ("o1", 90.0), new_haplotypes=RULE)
    assert (tie["taxon"], tie["basis"]) == (
        "Tridentiger_sp",
        "species: threshold 98.5 % not reached (98.2 %), near-best hits name more than one",
    )


def test_new_haplotype_references_lists_only_candidates():
    hits = hits_of(
        ("a", "o1", 98.2), ("a", "o3", 97.9), ("a", "o2", 96.0),  # candidate: o1, o3
        ("b", "t1", 98.2), ("b", "t2", 98.0),  # a tie: not a candidate
        ("c", "s1", 99.5),  # strict already
        ("d", "p1", 97.0),  # below the rule
    )  # fmt: skip
    assert new_haplotype_references(hits, REFS, rule=RULE) == ["o1", "o3"]


def test_basis_of_strict_and_higher_ranks():
    assert one("a", ("o1", 99.0))["basis"] == (
        "strict: 99.0 % (>= 98.5 %), no other species within 0.5 points"
    )
    assert one("a", ("o1", 92.0))["basis"] == (
        "species: threshold 98.5 % not reached (92.0 %); genus: threshold 96 % not reached (92.0 %)"
    )
    assert one("a")["basis"] == "no hit above the identity floor"


# --- odd records: a single stray record does not veto a call ------------------------------

ODD_REFS = pd.concat(
    [
        REFS,
        pd.DataFrame(
            [
                # a record filed as another genus, identical to O. mykiss: misidentified
                ("x1", "Salvelinus_leucomaenis", "Salvelinus_leucomaenis", "Salvelinus",
                 "Salmonidae", "Salmoniformes", "アメマス", "species"),
            ],
            columns=REFS.columns,
        ),
    ],
    ignore_index=True,
)  # fmt: skip


def odd_call(*hits, odd=frozenset({"x1"}), **kw):
    table = assign_taxa(
        ["a"], hits_of(*[("a", r, i) for r, i in hits]), ODD_REFS, odd_records=odd, **kw
    )
    return table.iloc[0].to_dict()


def test_odd_record_of_another_genus_is_set_aside():
    row = odd_call(("o1", 100.0), ("x1", 100.0))
    assert (row["taxon"], row["rank"]) == ("Oncorhynchus_mykiss", "species")
    assert row["basis"].endswith("; odd record(s) set aside: x1 (Salvelinus_leucomaenis)")
    # without the review, the stray record vetoes the species and the genus
    kept = odd_call(("o1", 100.0), ("x1", 100.0), odd=frozenset())
    assert (kept["taxon"], kept["rank"]) == ("Salmonidae", "family")
    assert odd_call(("o1", 100.0), ("x1", 100.0), max_odd_set_aside=0)["rank"] == "family"


def test_odd_records_are_not_set_aside_alone_or_within_the_genus():
    # the odd record is the only near-best hit: it stays
    alone = odd_call(("x1", 100.0), ("o1", 95.0))
    assert (alone["taxon"], alone["rank"]) == ("Salvelinus_leucomaenis", "species")
    # an odd record of the others' genus: a tie between congeners stays a tie ...
    tie = odd_call(("o1", 100.0), ("o2", 100.0), odd=frozenset({"o2"}))
    assert (tie["taxon"], tie["rank"]) == ("Oncorhynchus_sp", "genus")
    # ... unless asked otherwise
    split = odd_call(("o1", 100.0), ("o2", 100.0), odd=frozenset({"o2"}), odd_within_genus=True)
    assert (split["taxon"], split["rank"]) == ("Oncorhynchus_mykiss", "species")
