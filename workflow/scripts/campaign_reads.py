"""Snakemake adapter: one campaign's read pairs to dereplicated, filtered reads."""

import json
import sys

from riverfish.errors import RiverfishError
from riverfish.reads import ReadParams, SampleError, process_campaign

sm = snakemake  # noqa: F821 (injected by Snakemake)

with open(sm.log[0], "w") as log:
    try:
        process_campaign(
            [tuple(s) for s in sm.params.samples],
            ReadParams(**json.loads(sm.params.settings)),
            sm.output.uniques,
            sm.output.stats,
            log,
            threads=sm.threads,
            noisy_out=sm.output.noisy,
        )
    except SampleError as exc:
        log.write(f"{exc}\n")
        sys.exit(f"campaign '{sm.wildcards.campaign}': {exc}")
    except RiverfishError as exc:
        log.write(f"error: {exc}\n")
        sys.exit(f"campaign '{sm.wildcards.campaign}': {exc}")
