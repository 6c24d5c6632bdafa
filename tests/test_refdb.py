"""Reference database builder: name normalisation, accounting, bad input, the real database."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from riverfish.errors import InputError
from riverfish.refdb import (
    DROP_REASONS,
    REPORT_ITEMS,
    TAXONOMY_COLUMNS,
    build_database,
    database_checksum,
    write_database,
)
from riverfish.refinputs import (
    parse_header,
    read_common_names,
    read_family_genera,
    read_family_orders,
    read_family_table,
    read_fasta,
    read_lineage,
    read_name_fixes,
)
from riverfish.refnames import TaxonName, name_key, normalise_name

CURATED = Path(__file__).resolve().parents[1] / "reference_db"
REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "reference"
needs_reference = pytest.mark.skipif(
    not (REFERENCE / "MiFish_DB.fas").is_file(),
    reason=f"the shared MiFish reference database is not beside the project ({REFERENCE})",
)

# --------------------------------------------------------------------------------------
# normalise_name
# --------------------------------------------------------------------------------------

# (label, genus, species, note); every label but the last three hybrids is a real label of
# the shared MiFish_DB.fas or Family_name.txt.
NAME_CASES = [
    ("Oncorhynchus_mykiss", "Oncorhynchus", "Oncorhynchus_mykiss", "species"),
    ("Myersina_macrostoma_", "Myersina", "Myersina_macrostoma", "species"),
    ("Gnathopogon_elongatus_elongatus", "Gnathopogon", "Gnathopogon_elongatus", "subspecies"),
    ("Carassius_auratus_auratus", "Carassius", "Carassius_auratus", "subspecies"),
    ("Salvelinus_leucomaenis_imbrius", "Salvelinus", "Salvelinus_leucomaenis", "subspecies"),
    (
        "Gasterosteus_aculeatus_subsp_Landlocked",
        "Gasterosteus",
        "Gasterosteus_aculeatus",
        "subspecies",
    ),
    ("Carassius_auratus_ssp_'Pingxiang'", "Carassius", "Carassius_auratus", "subspecies"),
    ("Trimma_okinawae_Palau", "Trimma", "Trimma_okinawae", "informal"),
    ("Cyprinus_carpio_'koi'", "Cyprinus", "Cyprinus_carpio", "informal"),
    ("Argyropelecus_sladeni_HUMZ_220829", "Argyropelecus", "Argyropelecus_sladeni", "informal"),
    ("Rhinogobius_sp_OR", "Rhinogobius", None, "informal"),
    ("Cobitis_sp_BIWAE_typeB", "Cobitis", None, "informal"),
    ("Cobitis_BIWAE_typeD", "Cobitis", None, "informal"),
    ("Lethenteron_spS_Kyoto", "Lethenteron", None, "informal"),
    ("Lethenteron_spS", "Lethenteron", None, "informal"),
    ("Mola_spB_USHI_MANBOU", "Mola", None, "informal"),
    ("Gymnocranius_sp1_FRLM34902", "Gymnocranius", None, "informal"),
    ("Schismatogobius_sp_KM_2017", "Schismatogobius", None, "informal"),
    ("Polypterus_sp_golden_dust", "Polypterus", None, "informal"),
    ("Psychrolutes_UW_151085", "Psychrolutes", None, "informal"),
    ("Gila_sp", "Gila", None, "sp"),
    ("Rhinogobius_sp.", "Rhinogobius", None, "sp"),
    ("Rhinogobius_spp", "Rhinogobius", None, "sp"),
    ("Etmopterus_cf_granulosus_NS_2010a", "Etmopterus", None, "cf"),
    ("Acheilognathus_cf_macropterus", "Acheilognathus", None, "cf"),
    ("Aetomylaeus_cf._milvus_EES_2018", "Aetomylaeus", None, "cf"),
    ("Batrochoglanis_aff._villosus_LBP2347", "Batrochoglanis", None, "cf"),
    ("Bathophilus_sp_cf_pawneei", "Bathophilus", None, "cf"),
    ("Cyprinus_carpio_'Ying_hybrid'", "Cyprinus", None, "hybrid"),
    ("Erimystax_x_punctatus", "Erimystax", "Erimystax_x-punctatus", "species"),
    ("", None, None, "empty"),
    ("   ", None, None, "empty"),
    ("Rajidae_sp_KAUM_I_91063", None, None, "unusable"),
    ("Gobiinae_sp_MAME_HAZE", None, None, "unusable"),
    ("Neoplecostominae_gen._1_sp_FFR_2012", None, None, "unusable"),
    ("Cf_Pseudobathylagus_sp_CBM_ZF_14706", None, None, "unusable"),
    ("cf_Bagridae_sp_XL_2016", None, None, "unusable"),
    # hybrids written the usual ways (not in the shared database)
    ("Salvelinus_leucomaenis_x_Salvelinus_malma", "Salvelinus", None, "hybrid"),
    ("Tribolodon_hakonensis_x_T._brandtii", "Tribolodon", None, "hybrid"),
    ("Oncorhynchus_mykiss_x_Salmo_trutta", None, None, "hybrid"),
    ("Oncorhynchus_hybrid", "Oncorhynchus", None, "hybrid"),
    ("Liza_hybridus", "Liza", "Liza_hybridus", "species"),
]


@pytest.mark.parametrize(("label", "genus", "species", "note"), NAME_CASES)
def test_normalise_name(label, genus, species, note):
    assert normalise_name(label) == TaxonName(genus, species, label, note)


def test_name_key_matches_names_table_spelling():
    assert name_key("Rhinogobius sp. OR") == "Rhinogobius_sp_OR"
    assert name_key(" Salvelinus  leucomaenis ") == "Salvelinus_leucomaenis"
    assert name_key("Misgurnus sp CladeA") == "Misgurnus_sp_CladeA"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gb|AB123456|Oryzias_latipes", ("AB123456", "Oryzias_latipes", False)),
        ("gb|107_1_065||Lefua_echigonia", ("107_1_065", "Lefua_echigonia", True)),
        ("gb|107_1_065|", ("107_1_065", "", False)),
        ("gb||Oryzias_latipes", (None, "", False)),
        ("AB123456 Oryzias latipes", (None, "", False)),
    ],
)
def test_parse_header(header, expected):
    assert parse_header(header) == expected


# --------------------------------------------------------------------------------------
# Building from small hand-made inputs
# --------------------------------------------------------------------------------------

LINEAGE = (
    '"genus_name","family_name","order_name","class_name","phylum_name","kingdom_name"\n'
    '"Tridentiger","Gobiidae","Gobiiformes","Actinopteri","Chordata","Metazoa"\n'
    '"Rhinogobius","Gobiidae","Gobiiformes","Actinopteri","Chordata","Metazoa"\n'
    '"Oncorhynchus","Salmonidae","Salmoniformes","Actinopteri","Chordata","Metazoa"\n'
    '"Chromis","Pomacentridae","","Actinopteri","Chordata","Metazoa"\n'
    '"Annamia Hora, 1932","Balitoridae","Cypriniformes","Actinopteri","Chordata","Metazoa"\n'
)
FAMILY_TABLE = (
    "460_Gobiidae\tTridentiger\tobscurus\tTridentiger_obscurus\n"
    "460_Gobiidae\tInu\tkoma\tInu_koma\n"
    "175_Salmonidae\tOncorhynchus\tmykiss\tOncorhynchus_mykiss\n"
    "333_Percichthyidae_Percichthyidae\tPercichthys\ttrucha\tPercichthys_trucha\n"
    "241_Cent1Ostorhinchus\tOstorhinchus\tsp\tOstorhinchus_sp\n"
    "074_Anguillidae\tAnguilla\tjaponica\tAnguilla_japonica\n"
    "074_Protoanguillidae\tProtoanguilla\tpalau\tProtoanguilla_palau\n"
)
SEQ_A = "ACGTACGTACGTTTGACCA"
SEQ_B = "ACGTACGTACGTTTGACCG"
SEQ_C = "TTGTACGTACGTTTGACCA"
SEQ_D = "TTGTACGTACGTTTGACCC"
SEQ_E = "TTGTACGTACGTTTGACGG"
SEQ_F = "TTGTACGTACGTTTGAGGG"
SEQ_G = "TTGTACGTACGTTTGTGGG"


def write_inputs(tmp_path: Path, fasta: str, names: bytes | None = None) -> dict[str, Path]:
    paths = {
        "fasta": tmp_path / "db.fas",
        "lineage": tmp_path / "lineage.csv",
        "family": tmp_path / "Family_name.txt",
    }
    paths["fasta"].write_text(fasta)
    paths["lineage"].write_text(LINEAGE)
    paths["family"].write_text(FAMILY_TABLE)
    paths["orders"] = tmp_path / "family_orders.tsv"
    paths["orders"].write_text(
        "family\torder\tsource\tnote\n"
        "Pomacentridae\tOvalentaria_incertae_sedis\tBetancur-R et al. 2017\ttest\n"
    )
    if names is not None:
        paths["names"] = tmp_path / "names.txt"
        paths["names"].write_bytes(names)
    return paths


# 17 records: 10 kept, 7 dropped (one per reason but intergeneric_hybrid).
SMALL_FASTA = f"""\
>gb|AB000001|Tridentiger_obscurus
{SEQ_A}
>gb|AB000001|Tridentiger_obscurus
{SEQ_A}
>gb|AB000001|Tridentiger_brevispinis
{SEQ_A}
>gb|AB000002|Oncorhynchus_mykiss
{SEQ_B[:10]}
{SEQ_B[10:].lower()}
>gb|AB000003|Oncorhynchus_masou_masou
{SEQ_C.replace("T", "U")}
>gb|460_001||Inu_koma
{SEQ_D}
>gb|460_002|Tridentiger_kuroiwae
{SEQ_A}
>gb|AB000004|
{SEQ_A}
>gb|AB000005|Rhinogobius_sp_OR
{SEQ_A}
>gb|AB000006|Rhinogobius_kurodai
ACGT-ACGT
>gb|AB000007|Rhinogobius_kurodai

>gb|AB000008|Salmo_trutta
{SEQ_B}
>gb|AB000009|Rajidae_sp_KAUM_I_91063
{SEQ_B}
>gb|175_003|Parahucho_perryi
{SEQ_E}
>gb|AB000010|Chromis_notata_notata
{SEQ_F}
>no_pipes_here
{SEQ_C}
>gb|AB000011|Annamia_normani
{SEQ_G}
"""

NAMES = (
    "Tridentiger obscurus\tチチブ\r\n"
    "Oncorhynchus mykiss\tニジマス\r\n"
    "Oncorhynchus mykiss\tレインボートラウト\r\n"
    "Rhinogobius sp. OR\tトウヨシノボリ\r\n"
).encode("cp932")


def test_build_accounts_for_every_record(tmp_path):
    p = write_inputs(tmp_path, SMALL_FASTA, NAMES)
    result = build_database(
        p["fasta"], p["lineage"], p["family"], p["names"], family_orders_path=p["orders"]
    )
    counts = result.counts()
    assert set(counts) == set(REPORT_ITEMS)
    expected = {
        "records_read": 17,
        "kept": 10,
        "dropped": 7,
        "kept_species": 9,
        "kept_genus_only": 1,
        "duplicate_record": 1,
        "unparseable_header": 1,
        "empty_sequence": 1,
        "bad_sequence": 1,
        "no_species_name": 1,
        "no_usable_genus": 1,
        "intergeneric_hybrid": 0,
        "genus_not_in_lineage": 1,
        "id_renamed": 1,
        "malformed_header_repaired": 1,
        "subspecies_folded": 2,
        "informal_label": 1,
        "sequence_normalised": 2,
        "resolved_by_family_table": 1,
        "resolved_by_family_code": 1,
        "no_family": 0,
        "renamed": 0,
        "family_from_lineage": 8,
        "order_from_lineage": 7,
        "order_from_lineage_family": 2,  # the two placed by the family table / code
        "order_from_curated_table": 1,
        "order_missing": 0,
        "shared_sequences": 1,
        "common_names_found": 2,
        "common_names_informal_found": 1,
        "common_name_conflicts": 1,
    }
    assert {k: counts[k] for k in expected} == expected
    assert counts["kept"] + counts["dropped"] == counts["records_read"]
    assert counts["dropped"] == sum(counts[r] for r in DROP_REASONS)
    assert result.detail("genus_not_in_lineage") == "Salmo (1)"
    assert result.detail("duplicate_record") == "AB000001 (Tridentiger_obscurus) (1)"
    assert result.detail("shared_sequences") == (
        "Tridentiger_brevispinis/Tridentiger_kuroiwae/Tridentiger_obscurus"
    )

    rows = {r.ref_id: r for r in result.records}
    assert list(rows) == [
        "AB000001",
        "AB000001.2",
        "AB000002",
        "AB000003",
        "460_001",
        "460_002",
        "AB000005",
        "175_003",
        "AB000010",
        "AB000011",
    ]
    assert rows["AB000001.2"].species == "Tridentiger_brevispinis"
    assert rows["AB000001"].common_name == "チチブ"
    assert rows["AB000002"].sequence == SEQ_B
    assert rows["AB000002"].common_name == "ニジマス"  # the first of two names wins
    assert rows["AB000003"].sequence == SEQ_C
    assert (rows["AB000003"].species, rows["AB000003"].note) == ("Oncorhynchus_masou", "subspecies")
    assert (rows["460_001"].label, rows["460_001"].family) == ("Inu_koma", "Gobiidae")
    assert (rows["460_001"].order) == "Gobiiformes"
    assert (rows["175_003"].family, rows["175_003"].order) == ("Salmonidae", "Salmoniformes")
    assert (rows["AB000005"].species, rows["AB000005"].common_name) == (None, "トウヨシノボリ")
    assert (rows["AB000010"].family, rows["AB000010"].order) == (
        "Pomacentridae",
        "Ovalentaria_incertae_sedis",
    )
    assert result.detail("order_from_curated_table") == "Pomacentridae (1)"
    assert rows["AB000011"].family == "Balitoridae"  # "Annamia Hora, 1932" in the lineage


def test_build_without_optional_tables(tmp_path):
    p = write_inputs(tmp_path, SMALL_FASTA)
    result = build_database(p["fasta"], p["lineage"], family_orders_path=p["orders"])
    counts = result.counts()
    # Inu and Parahucho cannot be placed without Family_name.txt
    assert counts["genus_not_in_lineage"] == 3
    assert result.detail("genus_not_in_lineage") == "Inu (1); Parahucho (1); Salmo (1)"
    assert counts["kept"] == 8
    assert counts["common_names_found"] == 0
    assert all(r.common_name == "" for r in result.records)


def test_renamed_id_avoids_ids_used_later(tmp_path):
    fasta = (
        f">gb|X|Oncorhynchus_mykiss\n{SEQ_A}\n"
        f">gb|X|Oncorhynchus_masou\n{SEQ_B}\n"
        f">gb|X.2|Oncorhynchus_nerka\n{SEQ_C}\n"
    )
    p = write_inputs(tmp_path, fasta)
    result = build_database(p["fasta"], p["lineage"])
    assert [r.ref_id for r in result.records] == ["X", "X.3", "X.2"]


def test_write_database(tmp_path):
    fasta = f">gb|AB1|Oncorhynchus_mykiss\n{SEQ_A}\n>gb|AB2|Rhinogobius_sp_OR\n{SEQ_B}\n"
    p = write_inputs(tmp_path, fasta)
    result = build_database(p["fasta"], p["lineage"], p["family"])
    out = tmp_path / "out"
    write_database(result, out / "refs.fasta", out / "taxonomy.tsv", out / "report.tsv")
    assert (out / "refs.fasta").read_text() == f">AB1\n{SEQ_A}\n>AB2\n{SEQ_B}\n"
    assert (out / "taxonomy.tsv").read_text() == (
        "\t".join(TAXONOMY_COLUMNS)
        + "\n"
        + "AB1\tOncorhynchus_mykiss\tOncorhynchus_mykiss\tOncorhynchus\tSalmonidae\t"
        "Salmoniformes\t\tspecies\n"
        + "AB2\tRhinogobius_sp_OR\t\tRhinogobius\tGobiidae\tGobiiformes\t\tinformal\n"
    )
    report = (out / "report.tsv").read_text().splitlines()
    assert report[0] == "item\tcount\tdetail"
    assert report[1:3] == ["records_read\t2\t", "kept\t2\t"]
    digest = database_checksum(p["fasta"], p["lineage"], p["family"])
    assert report[-1] == f"input_sha256\t3\t{digest}"
    assert sorted(x.name for x in out.iterdir()) == ["refs.fasta", "report.tsv", "taxonomy.tsv"]


def test_every_report_item_is_documented():
    readme = (Path(__file__).resolve().parents[1] / "reference_db" / "README.md").read_text()
    from riverfish import refreview

    items = [*REPORT_ITEMS, *refreview.REPORT_ITEMS]
    missing = [item for item in items if f"| `{item}` |" not in readme]
    assert missing == []


def test_database_checksum(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"first\n")
    b.write_bytes(b"second\n")
    assert database_checksum(a, b) == hashlib.sha256(b"first\nsecond\n").hexdigest()
    assert database_checksum(a, None, b) == database_checksum(a, b)
    assert database_checksum(b, a) != database_checksum(a, b)


def test_read_family_table_and_genera(tmp_path):
    p = write_inputs(tmp_path, "")
    assert read_family_table(p["family"]) == {
        "460": "Gobiidae",
        "175": "Salmonidae",
        "333": "Percichthyidae",
    }
    assert read_family_genera(p["family"])["Inu"] == "Gobiidae"
    assert read_family_genera(p["family"])["Protoanguilla"] == "Protoanguillidae"


def test_read_lineage_cleans_genus_cells(tmp_path):
    p = write_inputs(tmp_path, "")
    lineage = read_lineage(p["lineage"])
    assert lineage["Annamia"] == ("Balitoridae", "Cypriniformes")
    assert lineage["Chromis"] == ("Pomacentridae", "")
    assert len(lineage) == 5


def test_read_common_names_crlf_and_conflicts(tmp_path):
    path = tmp_path / "names.txt"
    path.write_bytes(
        "Anguilla japonica\tウナギ\r\nAnguilla japonica\tニホンウナギ\r\n".encode("cp932")
    )
    assert read_common_names(path) == {"Anguilla_japonica": "ウナギ"}
    utf8 = tmp_path / "names_utf8.txt"
    utf8.write_text("Oryzias latipes\tメダカ\n", encoding="utf-8")
    assert read_common_names(utf8, encoding="utf-8") == {"Oryzias_latipes": "メダカ"}


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


def test_sequence_before_first_header(tmp_path):
    p = write_inputs(tmp_path, f"{SEQ_A}\n>gb|AB1|Oncorhynchus_mykiss\n{SEQ_A}\n")
    with pytest.raises(InputError) as err:
        build_database(p["fasta"], p["lineage"])
    message = str(err.value)
    assert str(p["fasta"]) in message
    assert "line 1" in message
    assert "before the first header" in message


def test_header_with_nothing_after_gt(tmp_path):
    p = write_inputs(tmp_path, f">gb|AB1|Oncorhynchus_mykiss\n{SEQ_A}\n>\n{SEQ_B}\n")
    with pytest.raises(InputError) as err:
        build_database(p["fasta"], p["lineage"])
    assert f"{p['fasta']}, line 3: header line with nothing after '>'" in str(err.value)


def test_binary_fasta(tmp_path):
    p = write_inputs(tmp_path, "")
    p["fasta"].write_bytes(b">gb|AB1|Oncorhynchus_mykiss\nACGT\x00\x01\x02\n")
    with pytest.raises(InputError, match=r"line 2: binary data"):
        read_fasta(p["fasta"])


def test_gzipped_fasta(tmp_path):
    p = write_inputs(tmp_path, "")
    p["fasta"].write_bytes(b"\x1f\x8b\x08\x00junk")
    with pytest.raises(InputError, match="gzip-compressed"):
        read_fasta(p["fasta"])


def test_lineage_without_family_column(tmp_path):
    p = write_inputs(tmp_path, f">gb|AB1|Oncorhynchus_mykiss\n{SEQ_A}\n")
    p["lineage"].write_text('"genus_name","order_name"\n"Oncorhynchus","Salmoniformes"\n')
    with pytest.raises(InputError) as err:
        build_database(p["fasta"], p["lineage"])
    message = str(err.value)
    assert f"{p['lineage']}, line 1" in message
    assert "lacks the column(s) family_name" in message
    assert "genus_name, family_name, order_name" in message


def test_lineage_short_row(tmp_path):
    p = write_inputs(tmp_path, "")
    p["lineage"].write_text("genus_name,family_name,order_name\nOncorhynchus,Salmonidae\n")
    with pytest.raises(InputError, match=r"line 2: 2 column\(s\)"):
        read_lineage(p["lineage"])


def test_common_names_bad_cp932_byte(tmp_path):
    path = tmp_path / "Sname_Jname.txt"
    good = "Oncorhynchus mykiss\tニジマス\r\nSalvelinus leucomaenis\tアメマス\r\n".encode("cp932")
    path.write_bytes(good + b"Oryzias latipes\t\x85\x40\r\n")  # 0x85 is no cp932 lead byte
    with pytest.raises(InputError) as err:
        read_common_names(path)
    message = str(err.value)
    assert f"{path}, line 3" in message
    assert "cp932" in message
    assert "reference.common_names_encoding" in message


def test_common_names_line_without_tab(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("Oryzias latipes\tメダカ\nOryzias sakaizumii メダカ\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2: no tab"):
        read_common_names(path, encoding="utf-8")


def test_zero_usable_records(tmp_path):
    p = write_inputs(tmp_path, f">gb|AB1|Salmo_trutta\n{SEQ_A}\n>gb|AB2|\n{SEQ_B}\n")
    with pytest.raises(InputError) as err:
        build_database(p["fasta"], p["lineage"])
    message = str(err.value)
    assert "no usable reference record among 2" in message
    assert "no_species_name: 1" in message
    assert "genus_not_in_lineage: 1" in message


def test_empty_fasta(tmp_path):
    p = write_inputs(tmp_path, "")
    with pytest.raises(InputError, match="no FASTA records"):
        build_database(p["fasta"], p["lineage"])


def test_missing_input_file(tmp_path):
    p = write_inputs(tmp_path, f">gb|AB1|Oncorhynchus_mykiss\n{SEQ_A}\n")
    with pytest.raises(InputError, match="reference.common_names"):
        build_database(p["fasta"], p["lineage"], common_names_path=tmp_path / "nope.txt")


# --------------------------------------------------------------------------------------
# The real shared database
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_build():
    if not (REFERENCE / "MiFish_DB.fas").is_file():
        pytest.skip(f"the shared MiFish reference database is not beside the project ({REFERENCE})")
    return build_database(
        REFERENCE / "MiFish_DB.fas",
        REFERENCE / "lineage.csv",
        REFERENCE / "Family_name.txt",
        REFERENCE / "Sname_Jname.txt",
        name_fixes_path=CURATED / "name_fixes.tsv",
        family_orders_path=CURATED / "family_orders.tsv",
    )


def _raw_records(path: Path) -> list[tuple[str, str]]:
    """(header, sequence) pairs of a FASTA, read without the library."""
    records: list[tuple[str, str]] = []
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            records.append((line, ""))
        elif line.strip():
            records[-1] = (records[-1][0], records[-1][1] + line.strip().upper())
    return records


@needs_reference
def test_real_database_duplicates(real_build):
    raw = _raw_records(REFERENCE / "MiFish_DB.fas")
    headers = Counter(h for h, _ in raw)
    extra_copies = sum(n - 1 for n in headers.values() if n > 1)
    assert len(raw) == 15262
    assert extra_copies == 86  # the data README's "86 duplicated headers"
    assert sum(1 for n in headers.values() if n > 1) == 85
    exact = Counter(raw)
    exact_extra = sum(n - 1 for n in exact.values() if n > 1)
    assert exact_extra == 85
    # the one repeated header with another sequence is kept under a new ID
    seqs_of = defaultdict(set)
    for h, s in raw:
        seqs_of[h].add(s)
    differing = [h for h, s in seqs_of.items() if len(s) > 1]
    assert differing == [">gb|073_007|Notacanthus_chemnitzii"]

    counts = real_build.counts()
    assert counts["records_read"] == len(raw)
    assert counts["duplicate_record"] == exact_extra
    notacanthus = [r for r in real_build.records if r.ref_id.startswith("073_007")]
    assert [(r.ref_id, r.label) for r in notacanthus] == [
        ("073_007", "Notacanthus_chemnitzii"),
        ("073_007.2", "Notacanthus_chemnitzii"),
    ]
    assert notacanthus[0].sequence != notacanthus[1].sequence
    assert counts["kept"] + counts["dropped"] == counts["records_read"]
    assert counts["dropped"] == sum(counts[r] for r in DROP_REASONS)
    ids = [r.ref_id for r in real_build.records]
    assert len(ids) == len(set(ids))


@needs_reference
def test_real_database_counts(real_build):
    counts = real_build.counts()
    assert {
        k: counts[k] for k in ("kept", "dropped", "no_usable_genus", "genus_not_in_lineage")
    } == {
        "kept": 15158,
        "dropped": 104,
        "no_usable_genus": 18,
        "genus_not_in_lineage": 0,
    }
    assert counts["no_species_name"] == 0
    assert counts["bad_sequence"] == 0
    # every kept record reaches a family and an order, and the report says from where
    assert real_build.detail("no_family") == "JX899737 (Conorhynchos_conirostris)"
    assert (counts["family_from_lineage"], counts["resolved_by_family_table"]) == (15098, 58)
    assert counts["resolved_by_family_code"] == 2
    assert counts["order_from_lineage"] + counts["order_from_lineage_family"] == 14437
    assert counts["order_from_curated_table"] == 721 and counts["order_missing"] == 0
    assert all(r.family and r.order for r in real_build.records)
    assert counts["renamed"] == 11
    mullet = {r.label: r.species for r in real_build.records if r.label.endswith("_macrolepis")}
    assert mullet["Chelon_macrolepis"] == mullet["Liza_macrolepis"] == "Planiliza_macrolepis"


@needs_reference
def test_real_database_repaired_header(real_build):
    assert real_build.counts()["malformed_header_repaired"] == 1
    assert "gb|107_1_065||Lefua_echigonia" in real_build.detail("malformed_header_repaired")
    lefua = [r for r in real_build.records if r.ref_id == "107_1_065"]
    assert len(lefua) == 1
    assert (lefua[0].label, lefua[0].species, lefua[0].family) == (
        "Lefua_echigonia",
        "Lefua_echigonia",
        "Nemacheilidae",
    )


@needs_reference
def test_real_database_common_names(real_build):
    names = {r.species: r.common_name for r in real_build.records if r.species}
    assert names["Salvelinus_leucomaenis"] == "アメマス"
    assert names["Oncorhynchus_mykiss"] == "ニジマス"
    assert real_build.counts()["common_names_found"] > 3000


@needs_reference
def test_real_database_congeners_share_sequences(real_build):
    species_of = defaultdict(set)
    for r in real_build.records:
        if r.species:
            species_of[r.sequence].add(r.species)
    shared = [s for s in species_of.values() if len(s) > 1]
    tridentiger = [s for s in shared if all(x.startswith("Tridentiger_") for x in s)]
    cobitis = [s for s in shared if all(x.startswith("Cobitis_") for x in s)]
    assert {
        "Tridentiger_obscurus",
        "Tridentiger_brevispinis",
        "Tridentiger_kuroiwae",
    } in tridentiger
    assert {"Cobitis_takenoi", "Cobitis_striata", "Cobitis_magnostriata"} in cobitis


# --- curated tables: valid names and orders ----------------------------------------------

ORDERLESS_FASTA = f""">gb|AB000001|Tridentiger_obscurus
{SEQ_A}
>gb|AB000020|Chromis_notata
{SEQ_B}
>gb|AB000021|Chromis_notatus
{SEQ_C}
"""


def _curated(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_record_without_order_is_a_build_error_naming_its_family(tmp_path):
    p = write_inputs(tmp_path, ORDERLESS_FASTA)
    with pytest.raises(InputError) as err:
        build_database(p["fasta"], p["lineage"])
    text = str(err.value)
    assert "2 reference record(s) of 1 families have no order" in text
    assert "Pomacentridae (2 records)" in text
    assert "reference_db/family_orders.tsv" in text


def test_curated_order_and_valid_name(tmp_path):
    p = write_inputs(tmp_path, ORDERLESS_FASTA)
    fixes = _curated(
        tmp_path,
        "fixes.tsv",
        "from_name\tto_name\treason\tsource\n"
        "Chromis_notatus\tChromis_notata\tmisspelt epithet\tEschmeyer's Catalog of Fishes\n",
    )
    result = build_database(
        p["fasta"], p["lineage"], name_fixes_path=fixes, family_orders_path=p["orders"]
    )
    rows = {r.ref_id: r for r in result.records}
    assert (rows["AB000021"].label, rows["AB000021"].species) == (
        "Chromis_notatus",
        "Chromis_notata",
    )
    assert rows["AB000021"].order == "Ovalentaria_incertae_sedis"
    assert result.detail("renamed") == "Chromis_notatus -> Chromis_notata (1)"
    assert result.counts()["order_from_curated_table"] == 2
    assert result.counts()["input_sha256"] == 4  # the curated tables version the database


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("from_name\tto_name\n", "lacks column(s) reason, source"),
        ("from_name\tto_name\treason\tsource\nChromis\tChromis_notata\tx\ty\n",
         "'Chromis' is not a species name Genus_species"),
        ("from_name\tto_name\treason\tsource\nChromis_alpha\tChromis_beta\tx\t\n", "empty source"),
        ("from_name\tto_name\treason\tsource\nChromis_alpha\tChromis_beta\tx\ty\nChromis_beta\tChromis_gamma\tx\ty\n",
         "names renamed into names that are renamed again: Chromis_alpha"),
        ("from_name\tto_name\treason\tsource\nChromis_alpha\tChromis_beta\tx\ty\nChromis_alpha\tChromis_gamma\tx\ty\n",
         "Chromis_alpha is renamed twice (Chromis_beta and Chromis_gamma)"),
    ],
)  # fmt: skip
def test_bad_name_table(tmp_path, text, message):
    p = write_inputs(tmp_path, ORDERLESS_FASTA)
    fixes = _curated(tmp_path, "fixes.tsv", text)
    with pytest.raises(InputError, match=re.escape(message)):
        build_database(
            p["fasta"], p["lineage"], name_fixes_path=fixes, family_orders_path=p["orders"]
        )


def test_family_given_two_orders(tmp_path):
    p = write_inputs(tmp_path, ORDERLESS_FASTA)
    orders = _curated(
        tmp_path,
        "orders.tsv",
        "family\torder\tsource\nPomacentridae\tA\ts\nPomacentridae\tB\ts\n",
    )
    with pytest.raises(InputError, match="family Pomacentridae is given two orders"):
        build_database(p["fasta"], p["lineage"], family_orders_path=orders)


def test_shipped_curated_tables_have_a_source_on_every_row():
    fixes = read_name_fixes(CURATED / "name_fixes.tsv")
    assert fixes["Chelon_macrolepis"] == fixes["Liza_macrolepis"] == "Planiliza_macrolepis"
    orders = read_family_orders(CURATED / "family_orders.tsv")
    assert orders["Pomacentridae"] == "Ovalentaria_incertae_sedis"
    assert orders["Sciaenidae"] == "Eupercaria_incertae_sedis"
    assert len(orders) == 28
