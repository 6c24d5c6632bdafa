"""Snakemake adapter: the Darwin Core Archive (Event core, occurrences, DNA derived data)."""

from pathlib import Path

from Bio import SeqIO

from riverfish import dwca, jobenv
from riverfish.tables import read_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)
METHOD = (
    "River water was filtered and its environmental DNA extracted; the MiFish 12S rRNA "
    "region was amplified ({name}: {forward} / {reverse}) and sequenced (paired-end "
    "Illumina). Primers were trimmed with cutadapt; pairs merged, filtered by expected "
    "errors, denoised to exact sequence variants (UNOISE3) and chimeras removed with "
    "vsearch {vsearch}; variants were classified against the MiFish reference database "
    "(sha256 {checksum}) down to the rank the hits support (species >= {species} % "
    "identity). Reads in the negative controls were subtracted per variant; a taxon is "
    "recorded where the detection rule's read limits are met."
)

with jobenv.job_log(sm.log[0]) as log:
    settings = sm.params.export
    provenance = dict(read_tsv(sm.input.provenance, dtype=str).fillna("").values)
    checksum = provenance.get("reference_database_sha256", sm.params.checksum)
    db = f"MiFish reference database ({Path(sm.params.reference).name});sha256 {checksum}"
    primers = sm.params.primers
    text = METHOD.format(
        name=primers.get("name", "MiFish"),
        forward=primers["forward"],
        reverse=primers["reverse"],
        vsearch=provenance.get("vsearch", ""),
        checksum=checksum,
        species=sm.params.thresholds["species"],
    )
    files = dwca.archive_files(
        samples=read_tsv(sm.input.samples, dtype=str),
        detections=read_tsv(sm.input.detections, dtype={"sample": str}),
        corrected=read_tsv(sm.input.corrected, dtype={"sample": str, "asv_id": str}),
        counts=read_tsv(sm.input.counts, dtype={"sample": str, "asv_id": str}),
        taxonomy=read_tsv(sm.input.taxonomy, dtype=str),
        sequences={r.id: str(r.seq) for r in SeqIO.parse(sm.input.asvs, "fasta")},
        settings=settings,
        methods=dwca.method_values(primers, settings, provenance, sm.params.thresholds, db),
        method_text=text,
        reference=db,
    )
    dwca.write_archive(sm.output[0], files)
    for name, content in files.items():
        log.write(f"{name}: {content.count(chr(10))} lines\n")
