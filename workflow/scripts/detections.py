"""Snakemake adapter: blank correction, detection thresholds, replicate support."""

import pandas as pd

from riverfish import controls, jobenv, specieslist
from riverfish.tables import read_tsv, write_tsv
from riverfish.tracking import with_after_controls

sm = snakemake  # noqa: F821 (injected by Snakemake)
p = sm.params

with jobenv.job_log(sm.log[0]) as log:
    samples = read_tsv(sm.input.samples, dtype=str)
    samples["replicate"] = samples["replicate"].astype(int)
    counts = read_tsv(sm.input.counts, dtype={"asv_id": str, "sample": str})
    taxonomy = read_tsv(sm.input.taxonomy, dtype=str).fillna("")

    corrected, removed = controls.subtract_controls(counts, samples, rule=p.rule)
    warnings = controls.control_warnings(counts, samples)
    positive = controls.positive_controls(counts, samples, taxonomy)
    # a basin's own species list: its species detections outside it are named at genus
    parts, outside = [], []
    for basin, group in samples.groupby("basin", sort=False, dropna=False):
        tax = taxonomy
        if basin in p.basin_lists:
            allowed = specieslist.read_species_list(p.basin_lists[basin])
            tax, review = specieslist.apply_list(taxonomy, allowed, f"basin {basin}")
            present = corrected.loc[corrected["sample"].isin(group["sample"]), "asv_id"]
            outside.append(review[review["asv_id"].isin(set(present))].assign(basin=basin))
        parts.append(
            controls.sample_detections(
                corrected.loc[corrected["sample"].isin(group["sample"])],
                tax,
                group,
                min_reads=p.min_reads,
                min_fraction=p.min_fraction,
            )
        )
    per_sample = pd.concat(parts, ignore_index=True).sort_values(
        ["campaign", "basin", "site", "replicate", "sample", "taxon"], ignore_index=True
    )
    outside_columns = ["basin", *specieslist.REVIEW_COLUMNS]
    outside = pd.concat(outside) if outside else pd.DataFrame(columns=outside_columns)
    unassigned = controls.unassigned_reads(corrected, taxonomy, samples)
    support = controls.replicate_support(per_sample, samples, min_replicates=p.min_replicates)
    detections = controls.detections_table(per_sample, support, campaigns=list(p.campaigns))
    tracking = pd.concat([read_tsv(t, dtype={"sample": str}) for t in sm.input.tracking])

    write_tsv(corrected, sm.output.corrected)
    write_tsv(removed, sm.output.removed)
    write_tsv(positive, sm.output.positive)
    write_tsv(pd.DataFrame({"warning": warnings}, dtype=str), sm.output.warnings)
    write_tsv(per_sample, sm.output.sample_detections)
    write_tsv(unassigned, sm.output.unassigned)
    write_tsv(support, sm.output.site_detections)
    write_tsv(with_after_controls(tracking, corrected, samples), sm.output.tracking)
    write_tsv(detections, sm.output.detections)
    write_tsv(outside[outside_columns], sm.output.outside)
    for w in warnings:
        log.write(f"warning: {w}\n")
    log.write(f"{len(detections)} detections (sample x taxon) after all filters\n")
