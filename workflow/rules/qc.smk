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


onsuccess:
    say_run_warnings(f"{OUT}/qc/run_warnings.tsv")
