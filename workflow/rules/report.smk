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
        warnings=rules.warnings.output.table,
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


# The workbook a consultant pastes from: a summary of the tallies, a species sheet per
# basin (sites upstream to downstream), the methods and parameters.
rule workbook:
    input:
        samples=rules.sample_table.output[0],
        site_detections=rules.detections.output.site_detections,
        taxonomy=rules.classify.output.taxonomy,
        basin=rules.tallies.output.basin,
        basin_campaign=rules.tallies.output.basin_campaign,
        site_campaign=rules.tallies.output.site_campaign,
        provenance=rules.provenance.output[0],
        state_of_nature=f"{OUT}/export/state_of_nature.tsv",
    output:
        report(
            f"{OUT}/tables/species_tables.xlsx",
            caption="../report/species_tables.rst",
            category="Species tables",
        ),
    log:
        f"{OUT}/logs/workbook.log",
    benchmark:
        f"{OUT}/benchmarks/workbook.tsv"
    localrule: True
    conda:
        "../envs/python.yaml"
    params:
        campaigns=CAMPAIGNS,
        basins=BASINS,
        language=config["report"]["language"],
        cells=config["report"]["workbook_cells"],
        config=config,
    script:
        "../scripts/workbook.py"


# The tallies, trends and warnings as pages the report shows (the TSVs stay downloadable
# beside them).
rule report_tables:
    input:
        samples=rules.sample_table.output[0],
        basin=rules.tallies.output.basin,
        basin_campaign=rules.tallies.output.basin_campaign,
        site_campaign=rules.tallies.output.site_campaign,
        richness=rules.tallies.output.richness,
        similarity=rules.tallies.output.similarity,
        first_last=rules.tallies.output.first_last,
        indicators=rules.tallies.output.indicators,
        verdicts=rules.stats.output.verdicts,
        recovery=rules.stats.output.recovery,
        run_warnings=rules.run_quality.output.warnings,
        control_warnings=rules.detections.output.warnings,
        warnings=rules.warnings.output.table,
    output:
        tallies=report(
            f"{OUT}/report/tallies.html",
            caption="../report/tallies_page.rst",
            category="Tallies",
        ),
        trends=report(
            f"{OUT}/report/trends.html",
            caption="../report/trends_page.rst",
            category="Trends",
        ),
        warnings=report(
            f"{OUT}/report/warnings.html",
            caption="../report/warnings_page.rst",
            category="Warnings",
        ),
    log:
        f"{OUT}/logs/report_tables.log",
    benchmark:
        f"{OUT}/benchmarks/report_tables.tsv"
    localrule: True
    conda:
        "../envs/python.yaml"
    params:
        campaigns=CAMPAIGNS,
        language=config["report"]["language"],
    script:
        "../scripts/report_tables.py"
