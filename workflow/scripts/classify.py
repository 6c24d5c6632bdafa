"""Snakemake adapter: classify every ASV (cached vsearch hits, then LCA with thresholds)."""

import sys

from riverfish import hitcache
from riverfish.asvs import union_of_campaigns
from riverfish.classify import assign_taxa
from riverfish.tables import read_tsv, write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)

with open(sm.log[0], "w") as log:
    sys.stderr = log
    # the campaigns' ASVs, as asv/asvs.fasta has them (written beside this job)
    asvs = union_of_campaigns(sm.input.asvs)
    refs = read_tsv(sm.input.taxonomy, dtype=str)
    checksum = sm.input.db.split("/")[-2]
    cache = hitcache.cache_dir(sm.params.cache, checksum, sm.params.floor)
    hits = hitcache.hits_for(asvs, sm.input.db, cache, sm.params.floor, log, sm.threads)
    taxa = assign_taxa(
        [a for a, _ in asvs], hits, refs, dict(sm.params.thresholds), sm.params.margin
    )
    write_tsv(hits, sm.output.hits)
    write_tsv(taxa, sm.output.taxonomy)
    log.write(taxa["rank"].value_counts().to_string() + "\n")
