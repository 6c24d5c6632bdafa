"""Snakemake adapter: build the classifier-ready reference database, review it (odd
records, names of different genera with the same sequence) and write the build report."""

from riverfish import jobenv, refdb, refreview
from riverfish.tables import write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)

with jobenv.job_log(sm.log[0]) as log:
    result = refdb.build_database(
        sm.input.fasta,
        sm.input.lineage,
        family_table_path=sm.input.get("family_table"),
        common_names_path=sm.input.get("common_names"),
        common_names_encoding=sm.params.encoding,
        name_fixes_path=sm.input.get("name_fixes"),
        family_orders_path=sm.input.get("family_orders"),
    )
    odd, names = refreview.review(result.records, threads=sm.threads)
    result.report.extend(refreview.report_lines(odd, names))
    write_tsv(odd.round(2), sm.output.odd)
    write_tsv(names.round(2), sm.output.names)
    refdb.write_database(
        result, sm.output.fasta, sm.output.taxonomy, sm.output.report, sm.output.japan
    )
    log.write(open(sm.output.report, encoding="utf-8").read())
