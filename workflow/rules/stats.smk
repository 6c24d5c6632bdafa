# Monitoring statistics: occupancy (detection probability) per taxon, basin and campaign;
# richness estimated for effort (Chao2, coverage); a recovery verdict for each impacted
# site against its basin's reference site; and their figures.


rule stats:
    input:
        samples=rules.sample_table.output[0],
        sample_detections=rules.detections.output.sample_detections,
    output:
        occupancy=report(
            f"{OUT}/stats/occupancy.tsv",
            caption="../report/occupancy.rst",
            category="Monitoring statistics",
        ),
        presence=f"{OUT}/stats/presence_if_undetected.tsv",
        design=report(
            f"{OUT}/stats/survey_design.tsv",
            caption="../report/survey_design.rst",
            category="Monitoring statistics",
        ),
        richness=report(
            f"{OUT}/stats/richness.tsv",
            caption="../report/richness_estimates.rst",
            category="Monitoring statistics",
        ),
        recovery=f"{OUT}/stats/recovery_campaigns.tsv",
        verdicts=report(
            f"{OUT}/stats/recovery_verdicts.tsv",
            caption="../report/recovery.rst",
            category="Monitoring statistics",
        ),
        detection_plots=report(
            expand(f"{OUT}/plots/detection_{{basin}}.png", basin=BASINS),
            caption="../report/detection_plot.rst",
            category="Monitoring statistics",
        ),
        richness_plot=report(
            f"{OUT}/plots/richness_estimates.png",
            caption="../report/richness_estimates_plot.rst",
            category="Monitoring statistics",
        ),
        recovery_plot=report(
            f"{OUT}/plots/recovery.png",
            caption="../report/recovery_plot.rst",
            category="Monitoring statistics",
        ),
    log:
        f"{OUT}/logs/stats.log",
    benchmark:
        f"{OUT}/benchmarks/stats.tsv"
    conda:
        "../envs/python.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        campaigns=CAMPAIGNS,
        basins=BASINS,
        min_replicates=config["detection"]["min_replicates"],
        occupancy=config["stats"]["occupancy"],
        recovery=config["stats"]["recovery"],
    script:
        "../scripts/stats.py"
