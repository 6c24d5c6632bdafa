# Open data and nature disclosure: the state-of-nature table per priority location and
# campaign (TNFD), and the Darwin Core Archive for GBIF (when the config has an `export`
# block with the dataset's metadata).


rule state_of_nature:
    input:
        samples=rules.sample_table.output[0],
        recovery=rules.stats.output.recovery,
        similarity=rules.tallies.output.similarity,
        site_campaign=rules.tallies.output.site_campaign,
        basin_campaign=rules.tallies.output.basin_campaign,
        site_detections=rules.detections.output.site_detections,
        traits=TRAITS,
        survey_design=rules.stats.output.design,
        unassigned=rules.detections.output.unassigned,
    output:
        table=f"{OUT}/export/state_of_nature.tsv",
        page=report(
            f"{OUT}/report/state_of_nature.html",
            caption="../report/state_of_nature.rst",
            category="Nature disclosure (TNFD)",
        ),
    log:
        f"{OUT}/logs/state_of_nature.log",
    benchmark:
        f"{OUT}/benchmarks/state_of_nature.tsv"
    localrule: True
    conda:
        "../envs/python.yaml"
    params:
        campaigns=CAMPAIGNS,
        language=config["report"]["language"],
    script:
        "../scripts/state_of_nature.py"


rule dwca:
    input:
        samples=rules.sample_table.output[0],
        detections=rules.detections.output.detections,
        corrected=rules.detections.output.corrected,
        counts=rules.all_asvs.output.counts,
        asvs=rules.all_asvs.output.asvs,
        taxonomy=rules.classify.output.taxonomy,
        provenance=rules.provenance.output[0],
    output:
        f"{OUT}/export/dwca.zip",
    log:
        f"{OUT}/logs/dwca.log",
    benchmark:
        f"{OUT}/benchmarks/dwca.tsv"
    localrule: True
    conda:
        "../envs/python.yaml"
    params:
        export=config.get("export") or {},
        primers=config["primers"],
        thresholds=config["classify"]["thresholds"],
        reference=config["reference"]["fasta"],
        checksum=REFDB_CHECKSUM,
    script:
        "../scripts/dwca.py"
