"""Snakemake adapter: strict mode, the run fails when it has a warning."""

from riverfish import jobenv
from riverfish.errors import InputError
from riverfish.files import write_text
from riverfish.tables import read_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)

with jobenv.job_log(sm.log[0]) as log:
    table = read_tsv(sm.input[0], dtype=str).fillna("")
    if len(table):
        lines = "\n  ".join(f"{r.source}: {r.message}" for r in table.itertuples())
        raise InputError(
            f"strict: the run has {len(table)} warning(s); every result was written, but "
            f"this run is not clean:\n  {lines}",
            hint=f"read {sm.input[0]}; set strict: false to accept the run with warnings",
        )
    write_text("no warning\n", sm.output[0])
    log.write("no warning\n")
