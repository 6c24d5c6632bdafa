"""Snakemake adapter: every warning of the run in one table (qc/warnings.tsv)."""

from riverfish import jobenv, outcome
from riverfish.tables import read_tsv, write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)

with jobenv.job_log(sm.log[0]) as log:
    samples = read_tsv(sm.input.samples, dtype=str)
    found = outcome.outcome_warnings(
        samples,
        read_tsv(sm.input.tracking, dtype={"sample": str, "campaign": str}),
        read_tsv(sm.input.basin_campaign, dtype={"basin": str, "campaign": str}),
        list(sm.params.campaigns),
    )
    table = outcome.all_warnings(
        read_tsv(sm.input.run_warnings, dtype=str),
        read_tsv(sm.input.control_warnings, dtype=str),
        found,
    )
    write_tsv(table, sm.output.table)
    log.write(f"{len(table)} warning(s)\n")
