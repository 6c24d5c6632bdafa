# Provenance for the HTML report (snakemake --report report.html): tool versions, the
# reference database's checksum and the configuration the results were made with.


rule provenance:
    input:
        db=rules.reference_db.output.fasta,
    output:
        report(
            f"{OUT}/qc/provenance.tsv",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    log:
        f"{OUT}/logs/provenance.log",
    benchmark:
        f"{OUT}/benchmarks/provenance.tsv"
    localrule: True
    conda:
        "../envs/python.yaml"
    params:
        config=config,
        checksum=REFDB_CHECKSUM,
    script:
        "../scripts/provenance.py"
