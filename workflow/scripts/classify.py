"""Snakemake adapter: classify every ASV (cached vsearch hits, then LCA with thresholds;
ASVs below the species threshold named their species where the new-haplotype rule holds)."""

from riverfish import hitcache, jobenv, refstats, specieslist
from riverfish.asvs import read_fasta, union_of_campaigns
from riverfish.classify import NewHaplotypeRule, assign_taxa, new_haplotype_references
from riverfish.tables import read_tsv, write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)

with jobenv.job_log(sm.log[0]) as log:
    # the campaigns' ASVs, as asv/asvs.fasta has them (written beside this job)
    asvs = union_of_campaigns(sm.input.asvs)
    refs = read_tsv(sm.input.taxonomy, dtype=str)
    checksum = sm.input.db.split("/")[-2]
    cache = hitcache.cache_dir(sm.params.cache, checksum, sm.params.floor)
    hits = hitcache.hits_for(asvs, sm.input.db, cache, sm.params.floor, log, sm.threads)
    thresholds, margin = dict(sm.params.thresholds), sm.params.margin
    rule = NewHaplotypeRule(**sm.params.new_haplotypes)
    # how close the records that new haplotypes match are to their nearest congener
    records = set(new_haplotype_references(hits, refs, thresholds, margin, rule))
    congeners = {}
    if records:
        seqs = [(r, s) for r, s in read_fasta(sm.input.db) if r in records]
        near = refstats.nearest_identities(seqs, sm.input.db, threads=sm.threads)
        congeners = refstats.congener_identity(near, refs.fillna(""))
        log.write(f"{len(records)} reference(s) of possible new haplotypes searched\n")
    odd = frozenset(read_tsv(sm.input.odd, dtype=str)["ref_id"])
    taxa = assign_taxa(
        [a for a, _ in asvs],
        hits,
        refs,
        thresholds,
        margin,
        rule,
        congeners,
        odd_records=odd,
        max_odd_set_aside=sm.params.odd_records,
        odd_within_genus=sm.params.odd_within_genus,
    )
    choice = sm.params.species_list
    if choice == specieslist.JAPAN:
        allowed = set(read_tsv(sm.input.japan, dtype=str)["species"])
        label = "Japan, from the names table"
    elif choice:
        allowed, label = specieslist.read_species_list(sm.input.species_list), choice
    if choice:
        taxa, outside = specieslist.apply_list(taxa, allowed, label)
    else:
        outside = specieslist.apply_list(taxa.iloc[:0], set(), "")[1]
    log.write(f"{len(outside)} species call(s) outside the species list named at genus\n")
    write_tsv(hits, sm.output.hits)
    write_tsv(outside, sm.output.outside)
    write_tsv(taxa, sm.output.taxonomy)
    log.write(taxa["rank"].value_counts().to_string() + "\n")
    new = taxa[taxa["basis"].str.startswith("new haplotype")]
    log.write(f"{len(new)} ASV(s) named their species as new haplotypes\n")
    aside = taxa[taxa["basis"].str.contains("odd record", regex=False)]
    log.write(f"{len(aside)} ASV(s) with an odd reference record set aside\n")
