"""Open data and nature disclosure: the Darwin Core Archive (read back with
python-dwca-reader, checked against the detections and the ASV FASTA, meta.xml field by
field) and the TNFD state-of-nature table (checked against the tables it comes from)."""

from __future__ import annotations

import hashlib
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import pandas as pd
import pytest
import yaml
from Bio import SeqIO
from dwca.read import DwCAReader
from openpyxl import load_workbook

from conftest import ROOT, snakemake_cmd
from riverfish import dwca, nature

TEXT_NS = "{http://rs.tdwg.org/dwc/text/}"


def _tsv(path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def _rows(reader_rows) -> pd.DataFrame:
    """python-dwca-reader rows as a table with the archive's short column names."""
    records = [{term.rsplit("/", 1)[-1]: v for term, v in r.data.items()} for r in reader_rows]
    return pd.DataFrame(records)


@pytest.fixture(scope="module")
def archive(dev_run):
    path = dev_run / "export" / "dwca.zip"
    with DwCAReader(str(path)) as reader:
        core = _rows(reader)
        ext = {}
        for row in reader:
            for e in row.extensions:
                ext.setdefault(e.rowtype, []).append(e)
        occurrences = _rows(ext[dwca.OCCURRENCE_ROW])
        dna = _rows(ext[dwca.DNA_ROW])
        assert reader.core_file.file_descriptor.represents_corefile
        assert reader.descriptor.core.type == dwca.EVENT_ROW
        assert {e.type for e in reader.descriptor.extensions} == {
            dwca.OCCURRENCE_ROW,
            dwca.DNA_ROW,
        }
        metadata = reader.metadata
    return path, core, occurrences, dna, metadata


@pytest.mark.workflow
def test_occurrences_add_up_to_the_detections_one_to_one(archive, dev_run):
    _, core, occ, dna, _ = archive
    dets = _tsv(dev_run / "tables" / "detections.tsv")
    occ = occ.rename(columns={"dna_sequence": "DNA_sequence"})
    occ["reads"] = occ["organismQuantity"].astype(int)
    summed = occ.groupby(["eventID", "verbatimIdentification"])["reads"].sum()
    expected = dets.set_index(["sample", "taxon"])["reads"].astype(int)
    expected.index.names = summed.index.names
    assert summed.sort_index().to_dict() == expected.sort_index().to_dict()
    assert occ["occurrenceID"].is_unique and len(occ) == 192
    # the names at the rank called, the ASV's MD5 as taxonID, reads as the quantity
    assert set(occ["basisOfRecord"]) == {"MaterialSample"}
    assert set(occ["occurrenceStatus"]) == {"present"}
    assert set(occ["organismQuantityType"]) == {"DNA sequence reads"}
    assert (occ["taxonID"].str.fullmatch(r"ASV:[0-9a-f]{32}")).all()
    genus = occ.loc[occ["taxonRank"] == "genus"].iloc[0]
    assert genus["scientificName"] == genus["verbatimIdentification"].split("_")[0]
    assert "_" not in "".join(occ["scientificName"])
    # no blank or positive control is an occurrence or an event
    samples = _tsv(dev_run / "tables" / "samples.tsv")
    controls = set(samples.loc[samples["type"] != "sample", "sample"])
    assert not controls & set(occ["eventID"]) and not controls & set(core["eventID"])
    # the events: 2 campaigns, 12 site visits, 24 water samples, each with its parent
    assert core["eventType"].value_counts().to_dict() == {
        "Sample": 24,
        "Site Visit": 12,
        "Survey": 2,
    }
    parents = dict(zip(core["eventID"], core["parentEventID"], strict=True))
    assert set(core["parentEventID"]) - {""} <= set(parents)
    assert set(occ["eventID"]) <= set(core.loc[core["eventType"] == "Sample", "eventID"])
    sample = core.set_index("eventID").loc["HY-up_2025-spring_r1"]
    counts = _tsv(dev_run / "asv" / "asv_counts.tsv")
    total = counts.loc[counts["sample"] == "HY-up_2025-spring_r1", "reads"].astype(int).sum()
    assert sample["sampleSizeValue"] == str(total) and sample["eventDate"] == "2025-05-20"
    assert core.set_index("eventID").loc["2025-autumn", "eventDate"] == "2025-10-14/2025-10-15"


@pytest.mark.workflow
def test_dna_rows_hold_each_occurrences_asv_sequence(archive, dev_run):
    _, _, occ, dna, _ = archive
    assert len(dna) == len(occ) and set(dna["occurrenceID"]) == set(occ["occurrenceID"])
    seqs = {r.id: str(r.seq) for r in SeqIO.parse(dev_run / "asv" / "asvs.fasta", "fasta")}
    by_id = dict(zip(occ["occurrenceID"], occ["taxonID"], strict=True))
    for row in dna.itertuples():
        asv = by_id[row.occurrenceID].removeprefix("ASV:")
        assert row.dna_sequence == seqs[asv]
        assert hashlib.md5(row.dna_sequence.encode()).hexdigest() == asv
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    first = dna.iloc[0]
    assert first["0000044"] == "12S rRNA"  # target_gene
    assert first["pcr_primer_forward"] == config["primers"]["forward"]
    assert first["pcr_primer_reverse"] == config["primers"]["reverse"]
    assert first["pcr_primer_name_forward"] == "MiFish-U-F"
    assert first["pcr_primer_reference"] == "https://doi.org/10.1098/rsos.150088"
    assert first["0000087"].startswith("MiFish reference database (MiFish_DB.fas);sha256 ")


@pytest.mark.workflow
def test_required_and_recommended_terms_are_filled(archive):
    path, core, occ, dna, metadata = archive
    columns = {"event.txt": core, "occurrence.txt": occ, "dna.txt": dna}
    with zipfile.ZipFile(path) as z:
        headers = {n: z.read(n).decode().split("\n", 1)[0].split("\t") for n in dwca.FILES}
    samples = core.loc[core["eventType"] == "Sample"]
    for term in dwca.required_terms():
        name = next(n for n, cols in headers.items() if term in cols)
        table = samples if name == "event.txt" else columns[name]
        iri = dwca.FILES[name][term]
        short = iri.rsplit("/", 1)[-1]
        values = table[short] if short in table.columns else table[term]
        assert (values != "").all(), (term, name)
    assert metadata is not None


@pytest.mark.workflow
def test_meta_xml_field_by_field(archive):
    path, *_ = archive
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == sorted(["meta.xml", "eml.xml", *dwca.FILES])
        meta = ET.fromstring(z.read("meta.xml"))
        texts = {n: z.read(n).decode() for n in dwca.FILES}
    assert meta.tag == TEXT_NS + "archive" and meta.get("metadata") == "eml.xml"
    parts = [meta.find(TEXT_NS + "core"), *meta.findall(TEXT_NS + "extension")]
    assert [p.get("rowType") for p in parts] == [
        dwca.EVENT_ROW,
        dwca.OCCURRENCE_ROW,
        dwca.DNA_ROW,
    ]
    for part, (name, terms) in zip(parts, dwca.FILES.items(), strict=True):
        assert part.find(f"{TEXT_NS}files/{TEXT_NS}location").text == name
        assert part.get("encoding") == "UTF-8" and part.get("fieldsTerminatedBy") == "\\t"
        assert part.get("ignoreHeaderLines") == "1"
        key = part.find(TEXT_NS + ("id" if part.tag.endswith("core") else "coreid"))
        assert key.get("index") == "0"
        fields = [(int(f.get("index")), f.get("term")) for f in part.findall(TEXT_NS + "field")]
        assert fields == list(enumerate(terms.values()))
        lines = texts[name].rstrip("\n").split("\n")
        assert lines[0].split("\t") == list(terms)
        assert all(len(line.split("\t")) == len(terms) for line in lines)


@pytest.mark.workflow
def test_eml_from_the_export_block(archive, dev_run):
    path, _, occ, _, _ = archive
    with zipfile.ZipFile(path) as z:
        eml = ET.fromstring(z.read("eml.xml"))
    ds = eml.find("dataset")
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["export"]
    assert ds.findtext("title") == config["title"]
    assert ds.findtext("contact/electronicMailAddress") == config["contact"]["email"]
    assert ds.find("intellectualRights/para/ulink").get("url") == dwca.LICENCES["CC-BY-4.0"][0]
    dates = ds.find("coverage/temporalCoverage/rangeOfDates")
    assert dates.findtext("beginDate/calendarDate") == "2025-05-20"
    assert dates.findtext("endDate/calendarDate") == "2025-10-15"
    ranks = {
        (t.findtext("taxonRankName"), t.findtext("taxonRankValue"))
        for t in ds.findall("coverage/taxonomicCoverage/taxonomicClassification")
    }
    assert {("order", o) for o in occ["order"]} <= ranks
    # the example's sheets have no coordinates: no geographic coverage is made up
    assert ds.find("coverage/geographicCoverage") is None
    assert "not recorded as absent" in ds.findtext("methods/sampling/samplingDescription/para")


def test_events_with_coordinates_and_pcr_replicates():
    samples = pd.DataFrame(
        [
            ("a1", "c1", "B", "up", "1", "1", "sample", "2025-05-01", "35.1", "139.1"),
            ("a2", "c1", "B", "up", "1", "2", "sample", "2025-05-01", "35.1", "139.1"),
            ("b1", "c1", "B", "down", "1", "1", "sample", "2025-05-02", "35.0", "139.3"),
            ("x", "c1", "B", "blank", "1", "1", "field_blank", "2025-05-02", "", ""),
        ],
        columns=[
            "sample",
            "campaign",
            "basin",
            "site",
            "replicate",
            "pcr_replicate",
            "type",
            "date",
            "latitude",
            "longitude",
        ],
    )
    table = dwca.events(samples, {"a1": 10, "a2": 20, "b1": 5}, {"country_code": "JP"})
    rows = table.set_index("eventID")
    assert list(table["eventID"]) == ["c1", "c1:B:up", "c1:B:up:1", "a1", "a2", "c1:B:down", "b1"]
    assert rows.loc["a2", "parentEventID"] == "c1:B:up:1"
    assert (
        rows.loc["a2", "eventType"] == "PCR replicate" and rows.loc["a2", "sampleSizeValue"] == "20"
    )
    assert rows.loc["c1:B:up:1", "sampleSizeValue"] == ""  # two libraries: no single size
    assert (
        rows.loc["b1", "decimalLatitude"] == "35.0" and rows.loc["b1", "geodeticDatum"] == "WGS84"
    )
    assert rows.loc["c1", "eventDate"] == "2025-05-01/2025-05-02"
    assert dwca.bounding_box(table) == (139.1, 139.3, 35.1, 35.0)
    eml = ET.fromstring(
        dwca.eml_xml(
            {"title": "t", "license": "CC0-1.0", "contact": {"name": "n", "email": "e@x"}},
            table,
            pd.DataFrame({"order": [], "family": []}),
            "methods",
        )
    )
    box = eml.find("dataset/coverage/geographicCoverage/boundingCoordinates")
    assert box.findtext("westBoundingCoordinate") == "139.100000"
    assert box.findtext("southBoundingCoordinate") == "35.000000"


def test_export_block_problems_name_the_key():
    assert dwca.check_export(None) == []
    problems = dwca.check_export({"title": "x", "license": "CC-BY-SA", "contact": {"name": "n"}})
    assert problems == [
        "export.contact.email is missing: give the contact's e-mail address",
        "export.license is 'CC-BY-SA'; GBIF accepts CC0-1.0, CC-BY-4.0, CC-BY-NC-4.0 "
        "(use one of them)",
    ]


@pytest.mark.workflow
def test_an_export_block_without_an_item_stops_the_run_at_parse_time(tmp_path):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    del config["export"]["contact"]["email"]
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    cmd = [*snakemake_cmd(), "--snakefile", str(ROOT / "Snakefile"), "-d", str(tmp_path)]
    proc = subprocess.run(
        [*cmd, "--configfile", str(cfg), "-n"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode != 0
    assert "invalid export block in the config" in proc.stderr + proc.stdout
    assert "export.contact.email is missing" in proc.stderr + proc.stdout
    assert not (tmp_path / "results").exists()  # nothing ran


@pytest.mark.workflow
def test_state_of_nature_equals_its_sources(dev_run):
    table = _tsv(dev_run / "export" / "state_of_nature.tsv")
    assert list(table.columns) == nature.COLUMNS
    assert list(zip(table["location_type"], table["basin"], table["site"], strict=True)) == [
        ("impacted_site", "Hayase", "HY-mine"),
        ("impacted_site", "Hayase", "HY-mine"),
        ("basin", "Hayase", ""),
        ("basin", "Hayase", ""),
        ("impacted_site", "Kanose", "KN-mine"),
        ("impacted_site", "Kanose", "KN-mine"),
        ("basin", "Kanose", ""),
        ("basin", "Kanose", ""),
    ]
    rec = _tsv(dev_run / "stats" / "recovery_campaigns.tsv").set_index(["site", "campaign"])
    sites = _tsv(dev_run / "tallies" / "site_campaign.tsv").set_index(["site", "campaign"])
    basins = _tsv(dev_run / "tallies" / "basin_campaign.tsv").set_index(["basin", "campaign"])
    for r in table.itertuples():
        if r.location_type == "impacted_site":
            src = rec.loc[(r.site, r.campaign)]
            assert float(r.relative_richness) == float(src["relative_richness"])
            assert float(r.relative_richness_lower) == float(src["relative_lower"])
            assert float(r.sorensen_upper) == float(src["sorensen_upper"])
            assert r.n_species == sites.loc[(r.site, r.campaign), "n_species"]
        else:
            assert r.n_species == basins.loc[(r.basin, r.campaign), "n_species"]
        assert r.n_species_reference == sites.loc[(r.reference_site, r.campaign), "n_species"]
        assert r.baseline_campaign == "2025-spring"
    mine = table.loc[table["site"] == "HY-mine"].set_index("campaign")
    change = float(mine.loc["2025-autumn", "relative_richness"]) - float(
        mine.loc["2025-spring", "relative_richness"]
    )
    assert float(mine.loc["2025-autumn", "relative_richness_change_from_baseline"]) == round(
        change, 4
    )
    # the Red List taxa, exactly, for the example's detections
    red = dict(
        zip(
            table["basin"] + "/" + table["site"] + "/" + table["campaign"],
            table["redlist_taxa"],
            strict=True,
        )
    )
    assert red["Hayase/HY-mine/2025-spring"] == ""
    assert red["Hayase/HY-mine/2025-autumn"] == "Niwaella delicata (アジメドジョウ) VU"
    assert red["Hayase//2025-spring"] == (
        "Abbottina rivularis (ツチフキ) EN; Niwaella delicata (アジメドジョウ) VU; "
        "Tachysurus tokiensis (ギバチ) VU"
    )
    assert red["Kanose/KN-mine/2025-autumn"] == "Oryzias latipes (メダカ) VU"
    assert (
        red["Kanose//2025-autumn"] == "Anguilla japonica (ウナギ) EN; Oryzias latipes (メダカ) VU"
    )
    kanose = table.loc[table["basin"] == "Kanose"].set_index(["site", "campaign"])
    assert kanose.loc[("", "2025-autumn"), "n_threatened"] == "2"
    assert "Oryzias latipes: southern medaka" in kanose.loc[("", "2025-autumn"), "redlist_caveats"]
    assert "probability" in table.loc[0, "limitations"]
    # the same rows in the workbook, and a page in the report
    book = load_workbook(dev_run / "tables" / "species_tables.xlsx")
    assert "State of nature (TNFD)" in book.sheetnames
    assert book["State of nature (TNFD)"].max_row == 2 + len(table)
    page = (dev_run / "report" / "state_of_nature.html").read_text(encoding="utf-8")
    assert "Niwaella delicata (アジメドジョウ) VU" in page
