"""Snakemake adapter: one campaign's read pairs to dereplicated, filtered reads."""

import json

from riverfish import jobenv
from riverfish.reads import ReadParams, process_campaign

sm = snakemake  # noqa: F821 (injected by Snakemake)

with jobenv.job_log(sm.log[0], context=f"campaign '{sm.wildcards.campaign}'") as log:
    process_campaign(
        [tuple(s) for s in sm.params.samples],
        ReadParams(**json.loads(sm.params.settings)),
        sm.output.uniques,
        sm.output.stats,
        log,
        threads=sm.threads,
        noisy_out=sm.output.noisy,
    )
