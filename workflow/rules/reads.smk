# Per campaign: check every sample's pairs, merge them, find and trim the primers, keep
# the length window, drop reads over the expected-error limit and dereplicate. One job per
# campaign works on its samples in parallel; tools slow to start (cutadapt) run once per
# campaign, not once per sample (riverfish.reads).


rule campaign_reads:
    input:
        campaign_fastq,
    output:
        uniques=f"{OUT}/campaigns/{{campaign}}/reads/uniques.tsv",
        stats=f"{OUT}/campaigns/{{campaign}}/reads/stats.tsv",
        noisy=f"{OUT}/campaigns/{{campaign}}/reads/noisy.tsv",
    log:
        f"{OUT}/logs/campaign_reads/{{campaign}}.log",
    benchmark:
        f"{OUT}/benchmarks/campaign_reads/{{campaign}}.tsv"
    conda:
        "../envs/reads.yaml"
    threads: 8
    resources:
        mem_mb=lambda wc, threads: 1000 + 300 * threads,
        runtime=lambda wc, input: 30 + int(input.size_mb / 20),
    params:
        samples=lambda wc: [
            (s, FASTQ[s]["r1"], FASTQ[s]["r2"]) for s in campaign_samples(wc.campaign)
        ],
        settings=lambda wc: read_params(wc.campaign),
    script:
        "../scripts/campaign_reads.py"
