"""The survey workbook: summary = tallies, species sheets per basin, methods; headers per
language, names without underscores (italic), sites upstream to downstream, print setup."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from test_tallies import CAMPAIGNS, small_samples, small_site_detections, taxa

from riverfish import tallies, workbook


def _write(tmp_path, language="en", cells="symbols", names=None):
    dets, samples = small_site_detections(), small_samples()
    if names:
        dets["common_name"] = dets["taxon"].map(names).fillna("")
    basin_campaign, basin, site_campaign = tallies.tallies(dets, samples, CAMPAIGNS)
    species = {
        b: tallies.species_table(dets, taxa(), CAMPAIGNS, b, samples=samples, cells=cells)
        for b in ("Alpha", "Beta")
    }
    path = tmp_path / "out" / "survey.xlsx"
    workbook.write_workbook(
        path,
        basin_campaign=basin_campaign,
        basin=basin,
        species=species,
        site_campaign=site_campaign,
        roles={("Alpha", "A-up"): "reference", ("Alpha", "A-mine"): "impacted"},
        methods=[("vsearch", "2.22.1"), *workbook.flatten_config({"classify": {"margin": 0.5}})],
        sentences={"Alpha": "In the Alpha basin, fish eDNA identified **3 orders**."},
        language=language,
        cells=cells,
    )
    return path, basin_campaign, basin, site_campaign


def test_summary_sheet_equals_the_tallies(tmp_path):
    path, basin_campaign, basin, _ = _write(tmp_path)
    assert [p.name for p in path.parent.iterdir()] == ["survey.xlsx"]  # no temporary left
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "Alpha", "Beta", "Methods"]
    sheet = book["Summary"]
    assert [c.value for c in sheet[2]] == ["Basin", "Campaign", "Orders", "Families", "Species"]
    rows = [r for r in sheet.iter_rows(min_row=3, max_row=sheet.max_row, values_only=True)]
    expected = []
    for whole in basin.itertuples():
        for r in basin_campaign.loc[basin_campaign["basin"] == whole.basin].itertuples():
            expected.append((r.basin, r.campaign, r.n_orders, r.n_families, r.n_species))
        expected.append(
            (
                whole.basin,
                f"All campaigns ({whole.n_campaigns})",
                whole.n_orders,
                whole.n_families,
                whole.n_species,
            )
        )
    assert rows[: len(expected)] == expected
    assert rows[len(expected)] == (None,) * 5
    # the sentence without its markdown stars
    assert rows[len(expected) + 1][0] == "In the Alpha basin, fish eDNA identified 3 orders."
    assert sheet.auto_filter.ref == f"A2:E{2 + len(expected)}"
    assert sheet.freeze_panes == "A3"
    assert sheet["A5"].font.b  # the basin total in bold
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$2:$2"


def test_species_sheet_names_sites_and_cells(tmp_path):
    path, *_, site_campaign = _write(tmp_path)
    book = load_workbook(path, rich_text=True)
    sheet = book["Alpha"]
    assert sheet["A1"].value == "Alpha basin: fish detected by eDNA, by campaign and site"
    # campaigns over their sites (merged), sites upstream -> downstream with their roles
    assert [str(r) for r in sheet.merged_cells.ranges] == ["G2:H2", "I2:J2"]
    assert sheet["G2"].value == "spring" and sheet["I2"].value == "autumn"
    header = [c.value for c in sheet[3]]
    assert header == [
        "No.",
        "Order",
        "Family",
        "Scientific name",
        "Japanese name",
        "Rank",
        "A-up (reference)",
        "A-mine (impacted)",
        "A-up (reference)",
        "A-mine (impacted)",
    ]
    body = list(sheet.iter_rows(min_row=4, max_row=8))
    names = [str(r[3].value) for r in body]
    assert names == [
        "Rhinogobius flumineus",
        "Rhinogobius sp.",
        "Cottus pollux",
        "Oncorhynchus masou",
        "Salvelinus leucomaenis",
    ]
    assert all("_" not in n for n in names)
    # species in italics; a genus call italic on the genus only
    assert body[0][3].font.i and body[4][3].font.i
    genus = body[1][3].value
    assert [(str(b.text), bool(b.font.i)) for b in genus] == [
        ("Rhinogobius", True),
        (" sp.", False),
    ]
    assert [r[0].value for r in body] == [1, 2, 3, 4, 5]
    salvelinus = [c.value for c in body[4]]
    assert salvelinus[6:] == ["○", None, "○", "○"]
    # the species row counts as the tallies do (Rhinogobius sp. not counted beside a
    # Rhinogobius species)
    totals = [c.value for c in sheet[9]]
    assert totals[3] == "Species (tallies)"
    alpha = site_campaign.loc[site_campaign["basin"] == "Alpha"].set_index(["site", "campaign"])

    def n(site, campaign):
        return (
            int(alpha.loc[(site, campaign), "n_species"]) if (site, campaign) in alpha.index else 0
        )

    assert totals[6:] == [
        n("A-up", "spring"),
        n("A-mine", "spring"),
        n("A-up", "autumn"),
        n("A-mine", "autumn"),
    ]
    assert sheet["A11"].value.startswith("○: detected at the site in the campaign")
    assert sheet.auto_filter.ref == "A3:J8"
    assert sheet.freeze_panes == "E4"
    assert sheet.print_title_rows == "$2:$3"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.column_dimensions["D"].width >= len("Salvelinus leucomaenis")


def test_japanese_headers_and_widths(tmp_path):
    names = {"Cottus_pollux": "カジカ大卵型", "Salvelinus_leucomaenis": "アメマス"}
    path, *_ = _write(tmp_path, language="ja", cells="replicates", names=names)
    book = load_workbook(path)
    assert book.sheetnames == ["概要", "Alpha", "Beta", "方法"]
    assert [c.value for c in book["概要"][2]] == ["水系", "調査回", "目数", "科数", "種数"]
    assert book["概要"]["B5"].value == "全調査回（2回）"
    sheet = book["Alpha"]
    header = [c.value for c in sheet[3]]
    assert header[:8] == [
        "No.",
        "目",
        "科",
        "学名",
        "和名",
        "階級",
        "A-up（対照地点）",
        "A-mine（影響地点）",
    ]
    rows = {r[3]: r for r in sheet.iter_rows(min_row=4, max_row=8, values_only=True)}
    assert rows["Cottus pollux"][4] == "カジカ大卵型" and rows["Cottus pollux"][5] == "種"
    assert rows["Rhinogobius sp."][5] == "属"
    # replicate counts as numbers
    assert rows["Salvelinus leucomaenis"][6:] == (2, None, 2, 1)
    # a Japanese character counts two: "カジカ大卵型" is 12 wide
    assert sheet.column_dimensions["E"].width >= 12
    assert sheet.column_dimensions["H"].width >= workbook.display_width("A-mine（影響地点）")
    assert [c.value for c in book["方法"][3]] == ["項目", "値"]
    assert [c.value for c in book["方法"][5]] == ["classify.margin", "0.5"]


def test_reads_cells_are_numbers_with_a_thousands_format(tmp_path):
    path, *_ = _write(tmp_path, cells="reads")
    sheet = load_workbook(path)["Beta"]
    rows = list(sheet.iter_rows(min_row=4, max_row=5))
    zacco = [r for r in rows if r[3].value == "Zacco platypus"][0]
    assert [c.value for c in zacco[6:]] == [800, 700]
    assert zacco[6].number_format == "#,##0"
    assert sheet["A8"].value.startswith("Number: reads of the taxon")


def test_bad_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="cells must be symbols, replicates or reads"):
        _write(tmp_path, cells="text")
    with pytest.raises(ValueError, match="language must be one of en, ja"):
        _write(tmp_path, language="fr")


def test_display_width_and_names():
    assert workbook.display_width("HY-up") == 5
    assert workbook.display_width("早瀬上流") == 8
    assert workbook.scientific_parts("Oncorhynchus_masou_ishikawae", "subspecies") == [
        ("Oncorhynchus masou ishikawae", True)
    ]
    assert workbook.scientific_parts("Cobitidae", "family") == [("Cobitidae", False)]
    assert workbook.flatten_config({"b": [1, 2], "a": {"x": True, "y": {}}}) == [
        ("a.x", "True"),
        ("a.y", ""),
        ("b", "1, 2"),
    ]
    used: set[str] = set()
    assert workbook.sheet_title("Summary", {"summary"}) == "Summary~2"
    assert workbook.sheet_title("a/b:c", used) == "a_b_c"
    assert len(workbook.sheet_title("x" * 40, used)) == 31


def test_empty_basin_sheet_has_headers_and_zero_species(tmp_path):
    dets, samples = small_site_detections(), small_samples()
    dets = dets.loc[dets["basin"] != "Beta"]
    basin_campaign, basin, site_campaign = tallies.tallies(dets, samples, CAMPAIGNS)
    table = tallies.species_table(dets, taxa(), CAMPAIGNS, "Beta", samples=samples)
    assert table.empty
    path = tmp_path / "w.xlsx"
    workbook.write_workbook(
        path,
        basin_campaign=basin_campaign,
        basin=basin,
        species={"Beta": table},
        site_campaign=site_campaign,
        roles={},
        methods=[],
        sentences={},
    )
    sheet = load_workbook(path)["Beta"]
    assert [c.value for c in sheet[3]][6:] == ["B-1", "B-1"]
    assert [c.value for c in sheet[4]][3:] == ["Species (tallies)", None, None, 0, 0]
