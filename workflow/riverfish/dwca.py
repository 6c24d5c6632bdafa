"""The Darwin Core Archive of a monitoring programme, for GBIF (``export/dwca.zip``).

It follows GBIF's guide *Publishing DNA-derived data through biodiversity data platforms*
(https://doi.org/10.35035/doc-vf1a-nr22) and the DNA derived data extension of
2024-07-11 (https://rs.gbif.org/extension/gbif/1.0/dna_derived_data_2024-07-11.xml):

- **Event core** (``event.txt``): the campaign, each site visited in it and each water
  sample (and, where a water sample has several PCR replicates, each library), linked by
  ``parentEventID``; dates and coordinates where the sheets have them; a library's reads
  in ASVs as ``sampleSizeValue``.
- **Occurrence extension** (``occurrence.txt``): one row per field sample and ASV of a taxon
  the workflow detected there (``tables/detections.tsv``), so the rows of a detection add
  up to its reads; ``taxonID`` is ``ASV:`` and the ASV's MD5, ``scientificName`` the name
  at the rank the classifier called (``taxonRank``), ``verbatimIdentification`` its label.
- **DNA derived data extension** (``dna.txt``): one row per occurrence (its
  ``occurrenceID``) with the ASV's sequence, the marker, the primers and the methods.

Blanks and positive controls are not occurrences. A taxon not detected in a sample is not
an absence (detection is imperfect: see ``stats/occupancy.tsv``), so non-detections are
left out. ``meta.xml`` describes the files and ``eml.xml`` the dataset, from the config's
``export`` block.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import zipfile
from collections.abc import Mapping, Sequence
from xml.etree import ElementTree as ET

import pandas as pd

from riverfish.errors import InputError
from riverfish.files import temporary_sibling

DWC = "http://rs.tdwg.org/dwc/terms/"
GBIF = "http://rs.gbif.org/terms/"
MIXS = "https://w3id.org/mixs/"
EVENT_ROW = DWC + "Event"
OCCURRENCE_ROW = DWC + "Occurrence"
DNA_ROW = "http://rs.gbif.org/terms/1.0/DNADerivedData"

#: column -> term IRI, in file order (the first column of each file is its id)
EVENT_TERMS = {
    name: DWC + name
    for name in (
        "eventID",
        "parentEventID",
        "eventType",
        "eventDate",
        "samplingProtocol",
        "sampleSizeValue",
        "sampleSizeUnit",
        "materialSampleID",
        "locationID",
        "waterBody",
        "locality",
        "countryCode",
        "decimalLatitude",
        "decimalLongitude",
        "geodeticDatum",
        "recordedBy",
        "eventRemarks",
    )
}
OCCURRENCE_TERMS = {
    name: DWC + name
    for name in (
        "eventID",
        "occurrenceID",
        "basisOfRecord",
        "occurrenceStatus",
        "organismQuantity",
        "organismQuantityType",
        "materialSampleID",
        "taxonID",
        "scientificName",
        "taxonRank",
        "verbatimIdentification",
        "vernacularName",
        "kingdom",
        "phylum",
        "order",
        "family",
        "genus",
        "identificationRemarks",
        "identificationReferences",
    )
}
DNA_TERMS = {
    "eventID": DWC + "eventID",
    "occurrenceID": DWC + "occurrenceID",
    "DNA_sequence": GBIF + "dna_sequence",
    "target_gene": MIXS + "0000044",
    "target_subfragment": MIXS + "0000045",
    "pcr_primer_forward": GBIF + "pcr_primer_forward",
    "pcr_primer_reverse": GBIF + "pcr_primer_reverse",
    "pcr_primer_name_forward": GBIF + "pcr_primer_name_forward",
    "pcr_primer_name_reverse": GBIF + "pcr_primer_name_reverse",
    "pcr_primer_reference": GBIF + "pcr_primer_reference",
    "lib_layout": MIXS + "0000041",
    "seq_meth": MIXS + "0000050",
    "chimera_check": MIXS + "0000052",
    "otu_class_appr": MIXS + "0000085",
    "otu_seq_comp_appr": MIXS + "0000086",
    "otu_db": MIXS + "0000087",
    "env_broad_scale": MIXS + "0000012",
    "env_local_scale": MIXS + "0000013",
    "env_medium": MIXS + "0000014",
}
FILES = {"event.txt": EVENT_TERMS, "occurrence.txt": OCCURRENCE_TERMS, "dna.txt": DNA_TERMS}

READS = "DNA sequence reads"
LICENCES = {
    "CC0-1.0": (
        "http://creativecommons.org/publicdomain/zero/1.0/legalcode",
        "Public Domain (CC0 1.0)",
    ),
    "CC-BY-4.0": (
        "http://creativecommons.org/licenses/by/4.0/legalcode",
        "Creative Commons Attribution (CC-BY 4.0)",
    ),
    "CC-BY-NC-4.0": (
        "http://creativecommons.org/licenses/by-nc/4.0/legalcode",
        "Creative Commons Attribution Non Commercial (CC-BY-NC 4.0)",
    ),
}
#: what the export block must give, with what it is for
REQUIRED = {
    "title": "the dataset's title",
    "license": f"its licence, one of {', '.join(LICENCES)}",
    "contact.name": "the name of the dataset's contact person",
    "contact.email": "the contact's e-mail address",
}
# MiFish 12S in rivers: ENVO terms for the environment of a water sample
ENVIRONMENT = {
    "env_broad_scale": "freshwater river biome [ENVO:01000253]",
    "env_local_scale": "river [ENVO:00000022]",
    "env_medium": "river water [ENVO:01000599]",
}


def check_export(block: Mapping | None) -> list[str]:
    """Problems of the config's ``export`` block (missing required items, an unknown
    licence), each naming the key; none when there is no block."""
    if block is None:
        return []
    if not isinstance(block, Mapping):
        return [f"export: expected a mapping of settings, got {block!r}"]
    problems = []
    for key, meaning in REQUIRED.items():
        value: object = block
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is None or str(value).strip() == "":
            problems.append(f"export.{key} is missing: give {meaning}")
    licence = block.get("license")
    if licence and licence not in LICENCES:
        problems.append(
            f"export.license is {licence!r}; GBIF accepts {', '.join(LICENCES)} (use one of them)"
        )
    return problems


def md5(sequence: str) -> str:
    return hashlib.md5(sequence.upper().encode("ascii")).hexdigest()


def _text(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip()


def _date_range(dates: pd.Series) -> str:
    """An ISO 8601 date or interval of the non-empty dates."""
    days = sorted({d for d in _text(dates) if d})
    if not days:
        return ""
    return days[0] if days[0] == days[-1] else f"{days[0]}/{days[-1]}"


def _first(values: pd.Series) -> str:
    for v in _text(values):
        if v:
            return v
    return ""


def library_events(samples: pd.DataFrame) -> pd.DataFrame:
    """Each field sample (library) with the ids of its event and its parents: columns
    sample, event, water_sample, site_visit, campaign (``event`` is the sample's name;
    ``water_sample`` is too, unless the water sample has several PCR replicates)."""
    fields = samples.loc[samples["type"] == "sample"].copy()
    for col in ("campaign", "basin", "site", "replicate"):
        fields[col] = _text(fields[col])
    key = ["campaign", "basin", "site", "replicate"]
    size = fields.groupby(key)["sample"].transform("count")
    fields["site_visit"] = fields["campaign"] + ":" + fields["basin"] + ":" + fields["site"]
    fields["water_sample"] = (fields["site_visit"] + ":" + fields["replicate"]).where(
        size > 1, fields["sample"]
    )
    fields["event"] = fields["sample"]
    return fields


def _water_events(
    water: str,
    w: pd.DataFrame,
    visit: str,
    location: Mapping,
    reads_in_asvs: Mapping[str, int],
    settings: Mapping,
) -> list[dict]:
    """A water sample's event and, when it was amplified more than once, one event per
    PCR replicate below it (the libraries ``w``)."""
    protocol = settings.get("sampling_protocol", "")
    one = len(w) == 1
    row = w.iloc[0]
    here = {
        **location,
        "decimalLatitude": _first(w["latitude"]) or location["decimalLatitude"],
        "decimalLongitude": _first(w["longitude"]) or location["decimalLongitude"],
    }
    rows = [
        {
            "eventID": water,
            "parentEventID": visit,
            "eventType": "Sample",
            "eventDate": _date_range(w["date"]),
            "samplingProtocol": protocol,
            "sampleSizeValue": str(reads_in_asvs.get(row["sample"], 0)) if one else "",
            "sampleSizeUnit": READS if one else "",
            "materialSampleID": row["sample"] if one else water,
            **here,
            "recordedBy": settings.get("recorded_by", ""),
            "eventRemarks": f"field replicate {row['replicate']}",
        }
    ]
    if one:
        return rows
    for lib in w.itertuples():
        rows.append(
            {
                "eventID": lib.sample,
                "parentEventID": water,
                "eventType": "PCR replicate",
                "eventDate": _date_range(pd.Series([lib.date])),
                "samplingProtocol": protocol,
                "sampleSizeValue": str(reads_in_asvs.get(lib.sample, 0)),
                "sampleSizeUnit": READS,
                "materialSampleID": lib.sample,
                **here,
                "eventRemarks": f"PCR replicate {lib.pcr_replicate}",
            }
        )
    return rows


def events(
    samples: pd.DataFrame,
    reads_in_asvs: Mapping[str, int],
    settings: Mapping,
) -> pd.DataFrame:
    """The Event core: campaigns, site visits, water samples, libraries (see the module's
    text), in campaign and sheet order."""
    fields = library_events(samples)
    protocol = settings.get("sampling_protocol", "")
    country = settings.get("country_code", "")
    recorded = settings.get("recorded_by", "")
    rows = []
    for campaign, c in fields.groupby("campaign", sort=False):
        rows.append(
            {
                "eventID": campaign,
                "eventType": "Survey",
                "eventDate": _date_range(c["date"]),
                "samplingProtocol": protocol,
                "countryCode": country,
                "eventRemarks": f"sampling campaign {campaign}",
            }
        )
        for visit, v in c.groupby("site_visit", sort=False):
            basin, site = v["basin"].iloc[0], v["site"].iloc[0]
            lat, lon = _first(v["latitude"]), _first(v["longitude"])
            location = {
                "locationID": f"{basin}:{site}",
                "waterBody": basin,
                "locality": site,
                "countryCode": country,
                "decimalLatitude": lat,
                "decimalLongitude": lon,
                "geodeticDatum": "WGS84" if lat and lon else "",
            }
            rows.append(
                {
                    "eventID": visit,
                    "parentEventID": campaign,
                    "eventType": "Site Visit",
                    "eventDate": _date_range(v["date"]),
                    "samplingProtocol": protocol,
                    **location,
                    "recordedBy": recorded,
                }
            )
            for water, w in v.groupby("water_sample", sort=False):
                rows.extend(_water_events(water, w, visit, location, reads_in_asvs, settings))
    table = pd.DataFrame(rows, columns=list(EVENT_TERMS))
    return table.fillna("").astype(str)


def scientific_name(taxon: str, rank: str) -> str:
    """The name at the rank called: ``Genus species``, ``Genus`` for a genus call, the
    family or order name."""
    parts = str(taxon).split("_")
    if rank == "genus":
        return parts[0]
    return " ".join(parts)


def occurrences(
    detections: pd.DataFrame,
    corrected: pd.DataFrame,
    taxonomy: pd.DataFrame,
    reference: str,
) -> pd.DataFrame:
    """One occurrence per detected taxon × sample × ASV of that taxon with corrected
    reads in the sample (the ASVs of a detection add up to its reads). ``reference``
    names the database for ``identificationReferences``."""
    dets = detections.loc[:, ["sample", "taxon", "reads"]].copy()
    dets["sample"] = _text(dets["sample"])
    counts = corrected.loc[corrected["reads"] > 0, ["asv_id", "sample", "reads"]].copy()
    counts["sample"] = _text(counts["sample"])
    tax = taxonomy.fillna("").astype(str)
    counts = counts.merge(tax, on="asv_id", how="inner")
    occ = counts.merge(dets.loc[:, ["sample", "taxon"]], on=["sample", "taxon"], how="inner")
    occ = occ.sort_values(
        ["sample", "taxon", "reads", "asv_id"], ascending=[True, True, False, True]
    )

    def remarks(r) -> str:
        text = f"best identity {r.best_identity} %; {r.basis}"
        if r.rank != "species" and r.candidates:
            text += f"; candidates: {r.candidates.replace('_', ' ')}"
        return text

    out = pd.DataFrame(
        {
            "eventID": occ["sample"],
            "occurrenceID": occ["sample"] + ":" + occ["asv_id"],
            "basisOfRecord": "MaterialSample",
            "occurrenceStatus": "present",
            "organismQuantity": occ["reads"].astype(int).astype(str),
            "organismQuantityType": READS,
            "materialSampleID": occ["sample"],
            "taxonID": "ASV:" + occ["asv_id"],
            "scientificName": [
                scientific_name(t, r) for t, r in zip(occ["taxon"], occ["rank"], strict=True)
            ],
            "taxonRank": occ["rank"],
            "verbatimIdentification": occ["taxon"],
            "vernacularName": occ["common_name"].where(occ["rank"] == "species", ""),
            "kingdom": "Animalia",
            "phylum": "Chordata",
            "order": occ["order"],
            "family": occ["family"],
            "genus": occ["genus"],
            "identificationRemarks": [remarks(r) for r in occ.itertuples()],
            "identificationReferences": reference,
        }
    )
    return out.loc[:, list(OCCURRENCE_TERMS)].reset_index(drop=True)


def dna_rows(
    occurrence: pd.DataFrame, sequences: Mapping[str, str], methods: Mapping[str, str]
) -> pd.DataFrame:
    """One DNA derived data row per occurrence: its ASV's sequence and the methods
    (``methods`` maps the extension's columns to values shared by every row)."""
    asv = occurrence["taxonID"].str.removeprefix("ASV:")
    missing = sorted(set(asv) - set(sequences))
    if missing:
        raise InputError(
            f"{len(missing)} ASV(s) of the detections have no sequence in the ASV FASTA "
            f"(e.g. {', '.join(missing[:3])})",
            hint="rebuild the results: asv/asvs.fasta and the counts come from the same run",
        )
    table = pd.DataFrame(
        {
            "eventID": occurrence["eventID"],
            "occurrenceID": occurrence["occurrenceID"],
            "DNA_sequence": asv.map(sequences),
        }
    )
    for col in DNA_TERMS:
        if col not in table.columns:
            table[col] = methods.get(col, "")
    return table.loc[:, list(DNA_TERMS)]


def meta_xml() -> str:
    """The archive's ``meta.xml``: the Event core and the two extensions, tab-separated
    UTF-8 with a header line, each column's term."""
    ET.register_namespace("", "http://rs.tdwg.org/dwc/text/")
    ns = "{http://rs.tdwg.org/dwc/text/}"
    archive = ET.Element(ns + "archive", {"metadata": "eml.xml"})
    for name, terms in FILES.items():
        tag, row = (
            ("core", EVENT_ROW)
            if name == "event.txt"
            else ("extension", OCCURRENCE_ROW if name == "occurrence.txt" else DNA_ROW)
        )
        el = ET.SubElement(
            archive,
            ns + tag,
            {
                "encoding": "UTF-8",
                "fieldsTerminatedBy": "\\t",
                "linesTerminatedBy": "\\n",
                "fieldsEnclosedBy": "",
                "ignoreHeaderLines": "1",
                "rowType": row,
            },
        )
        files = ET.SubElement(el, ns + "files")
        ET.SubElement(files, ns + "location").text = name
        ET.SubElement(el, ns + ("id" if tag == "core" else "coreid"), {"index": "0"})
        for i, term in enumerate(terms.values()):
            ET.SubElement(el, ns + "field", {"index": str(i), "term": term})
    ET.indent(archive)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(archive, "unicode") + "\n"


def _para(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    ET.SubElement(el, "para").text = text
    return el


def _party(parent: ET.Element, tag: str, person: Mapping) -> None:
    el = ET.SubElement(parent, tag)
    name = ET.SubElement(el, "individualName")
    ET.SubElement(name, "surName").text = person["name"]
    if person.get("organization"):
        ET.SubElement(el, "organizationName").text = person["organization"]
    ET.SubElement(el, "electronicMailAddress").text = person["email"]


def eml_xml(
    settings: Mapping,
    event_table: pd.DataFrame,
    occurrence: pd.DataFrame,
    methods: str,
    published: datetime.date | None = None,
) -> str:
    """The dataset's metadata (GBIF EML profile 1.2): title, creator and contact, licence,
    abstract, geographic coverage (the sheets' coordinates, else
    ``export.bounding_box``), temporal coverage (the sheets' dates), taxonomic coverage
    (the orders and families detected) and the methods."""
    eml_ns = "eml://ecoinformatics.org/eml-2.1.1"
    ET.register_namespace("eml", eml_ns)
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
    language = settings.get("language", "en")
    root = ET.Element(
        f"{{{eml_ns}}}eml",
        {
            "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation": (
                f"{eml_ns} http://rs.gbif.org/schema/eml-gbif-profile/1.2/eml.xsd"
            ),
            "packageId": settings.get("package_id") or md5(settings["title"]),
            "system": "http://gbif.org",
            "scope": "system",
            "{http://www.w3.org/XML/1998/namespace}lang": language,
        },
    )
    dataset = ET.SubElement(root, "dataset")
    ET.SubElement(
        dataset, "title", {"{http://www.w3.org/XML/1998/namespace}lang": language}
    ).text = settings["title"]
    contact = settings["contact"]
    _party(dataset, "creator", contact)
    _party(dataset, "metadataProvider", contact)
    ET.SubElement(dataset, "pubDate").text = (published or datetime.date.today()).isoformat()
    ET.SubElement(dataset, "language").text = language
    _para(dataset, "abstract", settings.get("abstract") or settings["title"])
    url, label = LICENCES[settings["license"]]
    rights = ET.SubElement(dataset, "intellectualRights")
    para = ET.SubElement(rights, "para")
    para.text = "This work is licensed under a "
    link = ET.SubElement(para, "ulink", {"url": url})
    ET.SubElement(link, "citetitle").text = f"{label} License"
    link.tail = "."
    coverage = ET.SubElement(dataset, "coverage")
    bounds = bounding_box(event_table) or settings.get("bounding_box")
    if bounds:
        geo = ET.SubElement(coverage, "geographicCoverage")
        ET.SubElement(geo, "geographicDescription").text = settings.get(
            "geographic_description"
        ) or ", ".join(f"{b} basin" for b in dict.fromkeys(event_table["waterBody"]) if b)
        box = ET.SubElement(geo, "boundingCoordinates")
        for side, value in zip(("west", "east", "north", "south"), bounds, strict=True):
            ET.SubElement(box, f"{side}BoundingCoordinate").text = f"{float(value):.6f}"
    dates = sorted({d for v in event_table["eventDate"] if v for d in str(v).split("/")})
    if dates:
        temporal = ET.SubElement(coverage, "temporalCoverage")
        span = ET.SubElement(temporal, "rangeOfDates")
        ET.SubElement(ET.SubElement(span, "beginDate"), "calendarDate").text = dates[0]
        ET.SubElement(ET.SubElement(span, "endDate"), "calendarDate").text = dates[-1]
    taxa = ET.SubElement(coverage, "taxonomicCoverage")
    ET.SubElement(
        taxa, "generalTaxonomicCoverage"
    ).text = "Fishes (Chordata) detected by environmental DNA (MiFish 12S rRNA metabarcoding)"
    for rank, col in (("order", "order"), ("family", "family")):
        for name in sorted({n for n in occurrence[col] if n}):
            tc = ET.SubElement(taxa, "taxonomicClassification")
            ET.SubElement(tc, "taxonRankName").text = rank
            ET.SubElement(tc, "taxonRankValue").text = name
    _party(dataset, "contact", contact)
    method = ET.SubElement(dataset, "methods")
    step = ET.SubElement(method, "methodStep")
    _para(step, "description", methods)
    sampling = ET.SubElement(method, "sampling")
    _para(
        ET.SubElement(sampling, "studyExtent"),
        "description",
        f"{event_table['eventType'].eq('Sample').sum()} water samples at "
        f"{event_table['eventType'].eq('Site Visit').sum()} site visits in "
        f"{event_table['eventType'].eq('Survey').sum()} campaigns",
    )
    _para(
        sampling,
        "samplingDescription",
        (settings.get("sampling_protocol") or "River water filtered for environmental DNA")
        + ". Only detections are published: a taxon not detected in a sample is not "
        "recorded as absent, because eDNA detection is imperfect.",
    )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def bounding_box(event_table: pd.DataFrame) -> tuple[float, float, float, float] | None:
    """West, east, north, south of the events' coordinates, or None without any."""
    lat = pd.to_numeric(event_table["decimalLatitude"], errors="coerce")
    lon = pd.to_numeric(event_table["decimalLongitude"], errors="coerce")
    keep = lat.notna() & lon.notna()
    if not keep.any():
        return None
    return (lon[keep].min(), lon[keep].max(), lat[keep].max(), lat[keep].min())


def tsv(table: pd.DataFrame) -> str:
    """A table as the archive's text file: tab-separated, header line, no quoting (tabs
    and line breaks inside values become spaces)."""
    clean = table.fillna("").astype(str).replace({r"[\t\r\n]+": " "}, regex=True)
    out = io.StringIO()
    out.write("\t".join(clean.columns) + "\n")
    for row in clean.itertuples(index=False, name=None):
        out.write("\t".join(row) + "\n")
    return out.getvalue()


def write_archive(path: str | os.PathLike, files: Mapping[str, str]) -> None:
    """Write the zip (deflated) to a temporary file in the same folder and rename it."""
    target, tmp = temporary_sibling(path)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16  # readable by all once unpacked
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text.encode("utf-8"))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def archive_files(
    *,
    samples: pd.DataFrame,
    detections: pd.DataFrame,
    corrected: pd.DataFrame,
    counts: pd.DataFrame,
    taxonomy: pd.DataFrame,
    sequences: Mapping[str, str],
    settings: Mapping,
    methods: Mapping[str, str],
    method_text: str,
    reference: str,
    published: datetime.date | None = None,
) -> dict[str, str]:
    """The archive's files by name (see the module's text)."""
    reads_in_asvs = counts.groupby(_text(counts["sample"]))["reads"].sum().astype(int).to_dict()
    event_table = events(samples, reads_in_asvs, settings)
    occurrence = occurrences(detections, corrected, taxonomy, reference)
    unknown = sorted(set(occurrence["eventID"]) - set(event_table["eventID"]))
    if unknown:
        raise InputError(
            f"{len(unknown)} detection sample(s) are not field samples of the sheets "
            f"(e.g. {', '.join(unknown[:3])})",
            hint="rebuild the results with the current sample sheets",
        )
    return {
        "meta.xml": meta_xml(),
        "eml.xml": eml_xml(settings, event_table, occurrence, method_text, published),
        "event.txt": tsv(event_table),
        "occurrence.txt": tsv(occurrence),
        "dna.txt": tsv(dna_rows(occurrence, sequences, methods)),
    }


def method_values(
    primers: Mapping, settings: Mapping, tools: Mapping[str, str], thresholds: Mapping, db: str
) -> dict[str, str]:
    """The DNA derived data extension's values shared by every row."""
    name = primers.get("name", "MiFish")
    return {
        "target_gene": "12S rRNA",
        "target_subfragment": settings.get("target_subfragment", "MiFish region"),
        "pcr_primer_forward": primers["forward"],
        "pcr_primer_reverse": primers["reverse"],
        "pcr_primer_name_forward": f"{name}-F",
        "pcr_primer_name_reverse": f"{name}-R",
        "pcr_primer_reference": settings.get("primer_reference", ""),
        "lib_layout": "paired",
        "seq_meth": settings.get("sequencing_method", ""),
        "chimera_check": f"vsearch;{tools.get('vsearch', '')};uchime3 de novo",
        "otu_class_appr": f"vsearch;{tools.get('vsearch', '')};UNOISE3;ASV",
        "otu_seq_comp_appr": (
            f"vsearch;{tools.get('vsearch', '')};usearch_global, species >= "
            f"{thresholds['species']} %, genus >= {thresholds['genus']} %, family >= "
            f"{thresholds['family']} %, order >= {thresholds['order']} % identity"
        ),
        "otu_db": db,
        **ENVIRONMENT,
    }


def required_terms() -> Sequence[str]:
    """The terms GBIF's guide marks required or highly recommended that the archive
    fills (for checks)."""
    return (
        "basisOfRecord",
        "occurrenceID",
        "eventID",
        "eventDate",
        "organismQuantity",
        "organismQuantityType",
        "sampleSizeValue",
        "sampleSizeUnit",
        "materialSampleID",
        "taxonID",
        "scientificName",
        "kingdom",
        "DNA_sequence",
        "target_gene",
        "target_subfragment",
        "pcr_primer_forward",
        "pcr_primer_reverse",
        "pcr_primer_name_forward",
        "pcr_primer_name_reverse",
        "pcr_primer_reference",
        "seq_meth",
        "otu_class_appr",
        "otu_seq_comp_appr",
        "otu_db",
    )
