"""Snakemake adapter: all campaigns' samples as one table (validated, defaults filled in)."""

import pandas as pd

from riverfish import jobenv
from riverfish.tables import write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)

with jobenv.job_log(sm.log[0]) as log:
    table = pd.DataFrame.from_records(list(sm.params.samples))
    write_tsv(table, sm.output[0])
    log.write(f"{len(table)} samples in {table['campaign'].nunique()} campaign(s)\n")
