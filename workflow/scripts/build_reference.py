"""Snakemake adapter: build the classifier-ready reference database and its build report."""

import sys

from riverfish import refdb

sm = snakemake  # noqa: F821 (injected by Snakemake)

with open(sm.log[0], "w") as log:
    sys.stderr = log
    result = refdb.build_database(
        sm.input.fasta,
        sm.input.lineage,
        family_table_path=sm.input.get("family_table"),
        common_names_path=sm.input.get("common_names"),
        common_names_encoding=sm.params.encoding,
    )
    refdb.write_database(result, sm.output.fasta, sm.output.taxonomy, sm.output.report)
    log.write(open(sm.output.report).read())
