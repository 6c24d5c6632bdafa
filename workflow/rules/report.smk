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


# The report's start page: each basin's findings in words (tallies, the impacted sites'
# verdicts, indicator taxa, warnings), in the language of report.language.
rule findings:
    input:
        samples=rules.sample_table.output[0],
        basin=rules.tallies.output.basin,
        basin_campaign=rules.tallies.output.basin_campaign,
        site_campaign=rules.tallies.output.site_campaign,
        indicators=rules.tallies.output.indicators,
        site_detections=rules.detections.output.site_detections,
        verdicts=rules.stats.output.verdicts,
        run_warnings=rules.run_quality.output.warnings,
        control_warnings=rules.detections.output.warnings,
    output:
        # included at the top of the start page (workflow/report/workflow.rst)
        report(
            f"{OUT}/report/findings.rst",
            caption="../report/findings.rst",
            category="Findings",
        ),
    log:
        f"{OUT}/logs/findings.log",
    benchmark:
        f"{OUT}/benchmarks/findings.tsv"
    localrule: True
    conda:
        "../envs/python.yaml"
    params:
        basins=BASINS,
        language=config["report"]["language"],
    script:
        "../scripts/findings.py"
