"""Snakemake adapter: the survey workbook (summary, a species sheet per basin, methods)."""

from riverfish import findings, jobenv, tallies, workbook
from riverfish.tables import read_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)
campaigns = list(sm.params.campaigns)
language, cells = sm.params.language, sm.params.cells

with jobenv.job_log(sm.log[0]) as log:
    samples = read_tsv(sm.input.samples, dtype=str)
    samples["replicate"] = samples["replicate"].astype(int)
    sites = read_tsv(sm.input.site_detections, dtype={"basin": str, "site": str, "campaign": str})
    taxonomy = read_tsv(sm.input.taxonomy, dtype=str).fillna("")
    basin_campaign = read_tsv(sm.input.basin_campaign, dtype={"basin": str, "campaign": str})
    basin = read_tsv(sm.input.basin, dtype={"basin": str})
    site_campaign = read_tsv(sm.input.site_campaign, dtype={"basin": str, "site": str})
    provenance = read_tsv(sm.input.provenance, dtype=str).fillna("")

    species = {
        name: tallies.species_table(sites, taxonomy, campaigns, name, samples=samples, cells=cells)
        for name in sm.params.basins
    }
    fields = samples.loc[samples["type"] == "sample"].fillna("")
    roles = {(r.basin, r.site): r.site_role for r in fields.itertuples() if r.site_role}
    per = findings.read_rows(sm.input.basin_campaign)
    sentences = {
        w["basin"]: findings.basin_sentence(
            w["basin"], w, [r for r in per if r["basin"] == w["basin"]], language
        )
        for w in findings.read_rows(sm.input.basin)
    }
    methods = [
        (r["item"], r["value"]) for r in provenance.to_dict("records") if r["item"] != "config"
    ]
    methods += workbook.flatten_config(sm.params.config)
    workbook.write_workbook(
        sm.output[0],
        basin_campaign=basin_campaign,
        basin=basin,
        species=species,
        site_campaign=site_campaign,
        roles=roles,
        methods=methods,
        sentences=sentences,
        language=language,
        cells=cells,
        state_of_nature=read_tsv(
            sm.input.state_of_nature, dtype={"basin": str, "site": str, "campaign": str}
        ),
    )
    log.write(f"{len(species)} basin sheet(s), cells {cells}, language {language}\n")
