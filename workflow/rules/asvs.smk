# Per campaign: pool the samples' reads, denoise (UNOISE3), remove chimeras (uchime3 de
# novo), name ASVs by MD5 and count every sample's reads per ASV. Then the contract tables
# over all campaigns.


rule campaign_asvs:
    input:
        uniques=f"{OUT}/campaigns/{{campaign}}/reads/uniques.tsv",
        stats=f"{OUT}/campaigns/{{campaign}}/reads/stats.tsv",
        noisy=f"{OUT}/campaigns/{{campaign}}/reads/noisy.tsv",
    output:
        asvs=f"{OUT}/campaigns/{{campaign}}/asvs.fasta",
        counts=f"{OUT}/campaigns/{{campaign}}/asv_counts.tsv",
        tracking=f"{OUT}/campaigns/{{campaign}}/read_tracking.tsv",
    log:
        f"{OUT}/logs/campaign_asvs/{{campaign}}.log",
    benchmark:
        f"{OUT}/benchmarks/campaign_asvs/{{campaign}}.tsv"
    conda:
        "../envs/reads.yaml"
    threads: 2
    resources:
        # every distinct read of the campaign is held in memory
        mem_mb=lambda wc, input: max(4000, 6 * input.size_mb),
        runtime=60,
    params:
        samples=lambda wc: campaign_samples(wc.campaign),
        denoise=config["denoise"],
    script:
        "../scripts/campaign_asvs.py"


rule all_asvs:
    input:
        asvs=expand(f"{OUT}/campaigns/{{campaign}}/asvs.fasta", campaign=CAMPAIGNS),
        counts=expand(
            f"{OUT}/campaigns/{{campaign}}/asv_counts.tsv", campaign=CAMPAIGNS
        ),
    output:
        asvs=f"{OUT}/asv/asvs.fasta",
        counts=f"{OUT}/asv/asv_counts.tsv",
    log:
        f"{OUT}/logs/all_asvs.log",
    benchmark:
        f"{OUT}/benchmarks/all_asvs.tsv"
    localrule: True
    conda:
        "../envs/python.yaml"
    script:
        "../scripts/all_asvs.py"
