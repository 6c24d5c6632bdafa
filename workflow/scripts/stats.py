"""Snakemake adapter: occupancy, survey design, richness estimates, recovery verdicts."""

from riverfish import jobenv, plots, recovery, statplots, surveystats
from riverfish.tables import read_tsv, write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)
campaigns = list(sm.params.campaigns)
occ_settings, rec_settings = sm.params.occupancy, sm.params.recovery

with jobenv.job_log(sm.log[0]) as log:
    samples = read_tsv(sm.input.samples, dtype=str)
    dets = read_tsv(sm.input.sample_detections, dtype={"sample": str, "site": str})

    occupancy, presence, design = surveystats.occupancy_tables(
        dets,
        samples,
        campaigns,
        min_samples=occ_settings["min_samples"],
        min_sites=occ_settings["min_sites"],
        target=occ_settings["target"],
    )
    richness = surveystats.richness_estimates(dets, samples, campaigns)
    by_campaign, verdicts = recovery.recovery(
        dets,
        samples,
        campaigns,
        min_replicates=sm.params.min_replicates,
        min_campaigns=rec_settings["min_campaigns"],
        draws=rec_settings["bootstrap"],
        seed=rec_settings["seed"],
    )
    for basin, path in zip(sm.params.basins, sm.output.detection_plots, strict=True):
        plots.write_figure(statplots.detection_figure(design, campaigns, basin), path)
    plots.write_figure(
        statplots.richness_estimates_figure(richness, campaigns), sm.output.richness_plot
    )
    plots.write_figure(
        statplots.recovery_figure(by_campaign, verdicts, campaigns), sm.output.recovery_plot
    )
    write_tsv(occupancy, sm.output.occupancy)
    write_tsv(presence, sm.output.presence)
    write_tsv(design, sm.output.design)
    write_tsv(richness, sm.output.richness)
    write_tsv(by_campaign, sm.output.recovery)
    write_tsv(verdicts, sm.output.verdicts)
    counts = occupancy["detection_model"].value_counts().to_dict()
    log.write(f"occupancy: {len(occupancy)} taxon x basin x campaign rows {counts}\n")
    log.write(verdicts.to_string(index=False) + "\n")
