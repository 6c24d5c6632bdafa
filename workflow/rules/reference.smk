# The fish reference database, built once from a MiFish-format FASTA and a genus lineage
# (plus optional family-code and common-name tables), versioned by the checksum of its
# inputs and reused by every campaign. `snakemake reference` builds only this.


rule reference_db:
    input:
        **reference_inputs(),
    output:
        fasta=f"{REFDB}/refs.fasta",
        taxonomy=f"{REFDB}/taxonomy.tsv",
        report=report(
            f"{REFDB}/build_report.tsv",
            caption="../report/reference.rst",
            category="Reference database",
        ),
        odd=report(
            f"{REFDB}/odd_records.tsv",
            caption="../report/odd_records.rst",
            category="Reference database",
        ),
        japan=f"{REFDB}/species_japan.tsv",
        names=report(
            f"{REFDB}/name_review.tsv",
            caption="../report/name_review.rst",
            category="Reference database",
        ),
    log:
        f"{OUT}/logs/reference_db.log",
    benchmark:
        f"{OUT}/benchmarks/reference_db.tsv"
    conda:
        "../envs/python.yaml"
    threads: 2
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        encoding=config["reference"]["common_names_encoding"],
    script:
        "../scripts/build_reference.py"


rule reference:
    input:
        rules.reference_db.output,
    localrule: True
