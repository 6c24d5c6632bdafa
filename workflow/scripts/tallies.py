"""Snakemake adapter: tallies, trends, species tables and their figures."""

from riverfish import jobenv, plots, tallies, webfont
from riverfish.files import write_text
from riverfish.tables import read_tsv, write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)
campaigns = list(sm.params.campaigns)

with jobenv.job_log(sm.log[0]) as log:
    samples = read_tsv(sm.input.samples, dtype=str)
    samples["replicate"] = samples["replicate"].astype(int)
    sites = read_tsv(sm.input.site_detections, dtype={"basin": str, "site": str, "campaign": str})
    taxonomy = read_tsv(sm.input.taxonomy, dtype=str).fillna("")
    traits = tallies.read_traits(sm.input.traits)

    basin_campaign, basin, site_campaign = tallies.tallies(sites, samples, campaigns)
    write_tsv(basin_campaign, sm.output.basin_campaign)
    write_tsv(basin, sm.output.basin)
    write_tsv(site_campaign, sm.output.site_campaign)
    write_tsv(tallies.richness_trend(site_campaign, campaigns), sm.output.richness)
    write_tsv(tallies.similarity_to_reference(sites, samples, campaigns), sm.output.similarity)
    write_tsv(tallies.first_last_detection(sites, campaigns), sm.output.first_last)
    write_tsv(
        tallies.indicator_summary(sites, traits, campaigns, samples=samples),
        sm.output.indicators,
    )
    tables = {}
    for name, path in zip(sm.params.basins, sm.output.species, strict=True):
        tables[name] = tallies.species_table(sites, taxonomy, campaigns, name, samples=samples)
        tallies.write_species_tsv(tables[name], path)
    for name, path in zip(sm.params.basins, sm.output.species_pages, strict=True):
        page = tallies.species_html(tables[name], name, sm.params.language)
        write_text(webfont.embed(page), path)

    plots.write_figure(
        plots.richness_figure(site_campaign, campaigns, samples=samples), sm.output.richness_plot
    )
    for name, path in zip(sm.params.basins, sm.output.heatmaps, strict=True):
        plots.write_figure(plots.heatmap_figure(sites, campaigns, name, samples), path)
    tracking = read_tsv(sm.input.tracking, dtype={"sample": str})
    plots.write_figure(plots.read_tracking_figure(tracking, campaigns), sm.output.tracking_plot)
    log.write(basin_campaign.to_string(index=False) + "\n\n" + basin.to_string(index=False) + "\n")
