"""Snakemake adapter: ASVs and counts over all campaigns (the union of the campaigns' ASVs)."""

import pandas as pd

from riverfish import jobenv
from riverfish.asvs import union_of_campaigns, write_fasta
from riverfish.tables import read_tsv, write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)

with jobenv.job_log(sm.log[0]) as log:
    seen = union_of_campaigns(sm.input.asvs)
    write_fasta(seen, sm.output.asvs)
    counts = pd.concat([read_tsv(p, dtype={"reads": "int64"}) for p in sm.input.counts])
    write_tsv(counts, sm.output.counts)
    log.write(f"{len(seen)} distinct ASVs over {len(sm.input.asvs)} campaign(s)\n")
