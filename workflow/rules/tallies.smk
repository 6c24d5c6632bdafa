# Species, family and order tallies per basin and campaign, per site, and the trends across
# campaigns (richness, similarity to the upstream reference site, first and last
# detections, indicator groups), the species tables a reviewer reads, and their figures
# (one job: the figures draw from the same tables, and the statistics job runs beside it).


rule tallies:
    input:
        samples=rules.sample_table.output[0],
        site_detections=rules.detections.output.site_detections,
        taxonomy=rules.classify.output.taxonomy,
        traits=TRAITS,
        tracking=rules.detections.output.tracking,
    output:
        basin_campaign=report(
            f"{OUT}/tallies/basin_campaign.tsv",
            caption="../report/tallies.rst",
            category="Tallies",
        ),
        basin=report(
            f"{OUT}/tallies/basin.tsv",
            caption="../report/tallies.rst",
            category="Tallies",
        ),
        site_campaign=report(
            f"{OUT}/tallies/site_campaign.tsv",
            caption="../report/tallies.rst",
            category="Tallies",
        ),
        richness=f"{OUT}/trends/richness.tsv",
        similarity=report(
            f"{OUT}/trends/similarity_to_reference.tsv",
            caption="../report/similarity.rst",
            category="Trends",
        ),
        first_last=report(
            f"{OUT}/trends/first_last_detection.tsv",
            caption="../report/first_last.rst",
            category="Trends",
        ),
        indicators=report(
            f"{OUT}/trends/indicator_groups.tsv",
            caption="../report/indicators.rst",
            category="Trends",
        ),
        species=expand(f"{OUT}/tables/species/{{basin}}.tsv", basin=BASINS),
        species_pages=report(
            expand(f"{OUT}/tables/species/{{basin}}.html", basin=BASINS),
            caption="../report/species_page.rst",
            category="Species tables",
        ),
        richness_plot=report(
            f"{OUT}/plots/richness.png",
            caption="../report/richness_plot.rst",
            category="Plots",
        ),
        heatmaps=report(
            expand(f"{OUT}/plots/heatmap_{{basin}}.png", basin=BASINS),
            caption="../report/heatmap.rst",
            category="Plots",
        ),
        tracking_plot=report(
            f"{OUT}/plots/read_tracking.png",
            caption="../report/read_tracking_plot.rst",
            category="Plots",
        ),
    log:
        f"{OUT}/logs/tallies.log",
    benchmark:
        f"{OUT}/benchmarks/tallies.tsv"
    conda:
        "../envs/python.yaml"
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        campaigns=CAMPAIGNS,
        basins=BASINS,
        language=config["report"]["language"],
    script:
        "../scripts/tallies.py"
