# Classify every distinct ASV against the reference database: vsearch global alignment
# (all hits above a floor, searched once per ASV and database version, cached), then the
# lowest common ancestor of the near-best hits with per-rank identity thresholds.


rule classify:
    input:
        asvs=expand(f"{OUT}/campaigns/{{campaign}}/asvs.fasta", campaign=CAMPAIGNS),
        db=rules.reference_db.output.fasta,
        taxonomy=rules.reference_db.output.taxonomy,
        odd=rules.reference_db.output.odd,
        japan=rules.reference_db.output.japan,
        species_list=SPECIES_LISTS.get("species_list", []),
    output:
        taxonomy=report(
            f"{OUT}/taxonomy/asv_taxonomy.tsv",
            caption="../report/taxonomy.rst",
            category="Taxonomy",
        ),
        hits=f"{OUT}/taxonomy/asv_hits.tsv",
        outside=f"{OUT}/taxonomy/outside_species_list.tsv",
    log:
        f"{OUT}/logs/classify.log",
    benchmark:
        f"{OUT}/benchmarks/classify.tsv"
    conda:
        "../envs/python.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        cache=CLASSIFY_CACHE,
        floor=config["classify"]["min_identity"],
        margin=config["classify"]["margin"],
        thresholds=config["classify"]["thresholds"],
        new_haplotypes=config["classify"]["new_haplotypes"],
        odd_records=config["classify"]["odd_records"],
        odd_within_genus=config["classify"]["odd_records_within_genus"],
        species_list=config["classify"]["species_list"],
    script:
        "../scripts/classify.py"
