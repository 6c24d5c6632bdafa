"""Snakemake adapter: denoise one campaign and count its samples' reads per ASV."""

from pathlib import Path

import pandas as pd

from riverfish import jobenv
from riverfish.asvs import DenoiseParams, denoise_campaign, write_fasta
from riverfish.reads import read_stats_table, read_uniques_table
from riverfish.tables import read_tracking, write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)

with jobenv.job_log(sm.log[0]) as log:
    samples = list(sm.params.samples)
    result = denoise_campaign(
        samples,
        read_uniques_table(sm.input.uniques),
        DenoiseParams(**sm.params.denoise),
        workdir=Path(sm.output.asvs).parent,
        log=log,
        threads=sm.threads,
        noisy=read_uniques_table(sm.input.noisy),
    )
    stats = read_stats_table(sm.input.stats)
    tracking = read_tracking(sm.wildcards.campaign, samples, stats, result.in_asvs)
    write_fasta(result.asvs, sm.output.asvs)
    write_tsv(pd.DataFrame(result.counts, columns=["asv_id", "sample", "reads"]), sm.output.counts)
    write_tsv(tracking, sm.output.tracking)
    log.write(f"{len(result.asvs)} ASVs; reads in ASVs per sample: {result.in_asvs}\n")
