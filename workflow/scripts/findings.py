"""Snakemake adapter: the findings of every basin for the report's start page."""

from riverfish import findings, jobenv, webfont
from riverfish.files import write_text

sm = snakemake  # noqa: F821 (injected by Snakemake)

with jobenv.job_log(sm.log[0]) as log:
    read = findings.read_rows
    names = {r["taxon"]: r.get("common_name", "") for r in read(sm.input.site_detections)}
    text = findings.findings_rst(
        sm.params.basins,
        read(sm.input.basin),
        read(sm.input.basin_campaign),
        read(sm.input.verdicts),
        read(sm.input.indicators),
        names,
        read(sm.input.run_warnings),
        read(sm.input.control_warnings),
        read(sm.input.samples),
        language=sm.params.language,
        site_rows=read(sm.input.site_campaign),
        outcome_warnings=[w for w in read(sm.input.warnings) if w["source"] == "outcome"],
    )
    # the glyphs of every Japanese name the report shows (start page, file names, the
    # tables it previews) travel with it
    shown = text + "".join(names.values()) + open(sm.input.samples, encoding="utf-8").read()
    write_text(webfont.rst_style(shown) + text, sm.output[0])
    log.write(text)
