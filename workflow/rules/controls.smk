# Negative controls, detection thresholds and field replicates: from ASV counts and their
# taxa to the detections a report states.


rule sample_table:
    input:
        sheets=SHEETS,
    output:
        f"{OUT}/tables/samples.tsv",
    log:
        f"{OUT}/logs/sample_table.log",
    benchmark:
        f"{OUT}/benchmarks/sample_table.tsv"
    localrule: True
    conda:
        "../envs/python.yaml"
    params:
        samples=SAMPLE_RECORDS,
    script:
        "../scripts/sample_table.py"


rule detections:
    input:
        samples=rules.sample_table.output[0],
        counts=rules.all_asvs.output.counts,
        taxonomy=rules.classify.output.taxonomy,
        basin_lists=[v for k, v in SPECIES_LISTS.items() if k != "species_list"],
        tracking=expand(
            f"{OUT}/campaigns/{{campaign}}/read_tracking.tsv", campaign=CAMPAIGNS
        ),
    output:
        detections=report(
            f"{OUT}/tables/detections.tsv",
            caption="../report/detections.rst",
            category="Detections",
        ),
        sample_detections=f"{OUT}/tables/sample_detections.tsv",
        site_detections=f"{OUT}/tables/site_detections.tsv",
        unassigned=f"{OUT}/tables/unassigned_reads.tsv",
        corrected=f"{OUT}/controls/corrected_counts.tsv",
        removed=report(
            f"{OUT}/controls/removed_by_controls.tsv",
            caption="../report/controls.rst",
            category="Controls",
        ),
        positive=f"{OUT}/controls/positive_controls.tsv",
        outside=f"{OUT}/tables/outside_basin_lists.tsv",
        warnings=report(
            f"{OUT}/controls/warnings.tsv",
            caption="../report/warnings.rst",
            category="Controls",
        ),
        tracking=report(
            f"{OUT}/qc/read_tracking.tsv",
            caption="../report/read_tracking.rst",
            category="Read tracking",
        ),
    log:
        f"{OUT}/logs/detections.log",
    benchmark:
        f"{OUT}/benchmarks/detections.tsv"
    conda:
        "../envs/python.yaml"
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        campaigns=CAMPAIGNS,
        rule=config["controls"]["rule"],
        min_reads=config["detection"]["min_reads"],
        min_fraction=config["detection"]["min_fraction"],
        min_replicates=config["detection"]["min_replicates"],
        basin_lists={
            k.split(".", 1)[1]: v
            for k, v in SPECIES_LISTS.items()
            if k != "species_list"
        },
    script:
        "../scripts/detections.py"
