"""Snakemake adapter: all campaigns' sample sheets as one table (defaults filled in)."""

import sys

from riverfish import sheets
from riverfish.tables import write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)

with open(sm.log[0], "w") as log:
    sys.stderr = log
    schema = sheets.load_schema(f"{sm.params.root}/workflow/schemas/samples.schema.yaml")
    table = sheets.load_campaigns(
        dict(sm.params.campaigns), schema, root=sm.params.root, check_files=False
    )
    columns = ["sample", "campaign", *[c for c in sheets.SHEET_COLUMNS if c != "sample"]]
    write_tsv(table[columns], sm.output[0])
    log.write(f"{len(table)} samples in {table['campaign'].nunique()} campaign(s)\n")
