"""Snakemake adapter: richness per site, taxon x campaign heat maps, read tracking."""

import sys

from riverfish import plots, tallies
from riverfish.tables import read_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)
campaigns = list(sm.params.campaigns)

with open(sm.log[0], "w") as log:
    sys.stderr = log
    samples = read_tsv(sm.input.samples, dtype=str)
    samples["replicate"] = samples["replicate"].astype(int)
    sites = read_tsv(sm.input.site_detections, dtype={"basin": str, "site": str, "campaign": str})
    # the richness per site and campaign, as in tallies/site_campaign.tsv
    site_campaign = tallies.tallies(sites, samples, campaigns)[2]
    tracking = read_tsv(sm.input.tracking, dtype={"sample": str})
    plots.write_figure(plots.richness_figure(site_campaign, campaigns), sm.output.richness)
    for basin, path in zip(sm.params.basins, sm.output.heatmaps, strict=True):
        plots.write_figure(plots.heatmap_figure(sites, campaigns, basin), path)
    plots.write_figure(plots.read_tracking_figure(tracking, campaigns), sm.output.tracking)
