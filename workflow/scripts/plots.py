"""Snakemake adapter: richness per site, taxon x campaign heat maps, read tracking."""

import sys

from riverfish import plots
from riverfish.tables import read_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)
campaigns = list(sm.params.campaigns)

with open(sm.log[0], "w") as log:
    sys.stderr = log
    site_campaign = read_tsv(sm.input.site_campaign, dtype={"basin": str, "site": str})
    sites = read_tsv(sm.input.site_detections, dtype={"basin": str, "site": str})
    tracking = read_tsv(sm.input.tracking, dtype={"sample": str})
    plots.write_figure(plots.richness_figure(site_campaign, campaigns), sm.output.richness)
    for basin, path in zip(sm.params.basins, sm.output.heatmaps, strict=True):
        plots.write_figure(plots.heatmap_figure(sites, campaigns, basin), path)
    plots.write_figure(plots.read_tracking_figure(tracking, campaigns), sm.output.tracking)
