"""Snakemake adapter: the run-quality check of every campaign's read tracking."""

import sys
from pathlib import Path

import pandas as pd

from riverfish import jobenv, runqc, webfont
from riverfish.tables import read_tsv, write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)

console = sys.stderr
with jobenv.job_log(sm.log[0]) as log:
    samples = read_tsv(sm.input.samples, dtype=str)
    tracking = pd.concat([read_tsv(t, dtype={"sample": str}) for t in sm.input.tracking])
    shares = runqc.shares(tracking, samples)
    warnings = runqc.run_warnings(shares, sm.params.expected)
    write_tsv(shares.round(4), sm.output.shares)
    page = Path(sm.output.page)
    tmp = page.with_name(f".{page.name}.tmp")
    tmp.write_text(webfont.embed(runqc.html_page(shares, warnings)), encoding="utf-8")
    summary = Path(sm.output.summary)
    tmp_summary = summary.with_name(f".{summary.name}.tmp")
    tmp_summary.write_text(runqc.rst_summary(warnings), encoding="utf-8")
    write_tsv(warnings, sm.output.warnings)
    tmp_summary.replace(summary)
    tmp.replace(page)
    for w in warnings.to_dict("records"):
        line = f"warning: run quality: {w['message']}. Try: {w['setting']}"
        log.write(line + "\n")
        print(line, file=console)
    log.write(f"{len(warnings)} run-quality warning(s)\n")
