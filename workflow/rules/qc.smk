# Run quality: the share of reads each read step kept, per campaign and field sample,
# against the expected ranges (config run_quality); every shortfall becomes a warning with
# its likely cause and the setting to try, shown in the report and at the end of the run.


rule run_quality:
    input:
        samples=rules.sample_table.output[0],
        tracking=expand(
            f"{OUT}/campaigns/{{campaign}}/read_tracking.tsv", campaign=CAMPAIGNS
        ),
    output:
        shares=f"{OUT}/qc/run_quality.tsv",
        # the report's start page includes it (workflow/report/workflow.rst)
        summary=report(
            f"{OUT}/qc/run_warnings.rst",
            caption="../report/run_warnings_summary.rst",
            category="Run quality",
        ),
        warnings=report(
            f"{OUT}/qc/run_warnings.tsv",
            caption="../report/run_warnings.rst",
            category="Run quality",
        ),
        page=report(
            f"{OUT}/qc/run_quality.html",
            caption="../report/run_quality.rst",
            category="Run quality",
        ),
    log:
        f"{OUT}/logs/run_quality.log",
    benchmark:
        f"{OUT}/benchmarks/run_quality.tsv"
    localrule: True
    conda:
        "../envs/python.yaml"
    params:
        expected=config["run_quality"],
    script:
        "../scripts/run_quality.py"


# Every warning of the run in one table, with what the run left empty (a campaign
# without field samples or reads, nothing detected); with `strict: true` any warning
# fails the run (rule strict).
rule warnings:
    input:
        samples=rules.sample_table.output[0],
        tracking=f"{OUT}/qc/read_tracking.tsv",
        basin_campaign=f"{OUT}/tallies/basin_campaign.tsv",
        run_warnings=rules.run_quality.output.warnings,
        control_warnings=f"{OUT}/controls/warnings.tsv",
    output:
        table=report(
            f"{OUT}/qc/warnings.tsv",
            caption="../report/all_warnings.rst",
            category="Warnings",
        ),
    log:
        f"{OUT}/logs/warnings.log",
    benchmark:
        f"{OUT}/benchmarks/warnings.tsv"
    localrule: True
    conda:
        "../envs/python.yaml"
    params:
        campaigns=CAMPAIGNS,
    script:
        "../scripts/warnings.py"


rule strict:
    input:
        rules.warnings.output.table,
    output:
        f"{OUT}/qc/strict_check.txt",
    log:
        f"{OUT}/logs/strict.log",
    localrule: True
    conda:
        "../envs/python.yaml"
    script:
        "../scripts/strict.py"


onsuccess:
    say_warnings(f"{OUT}/qc/warnings.tsv")
