# Per sample: check the pairs, merge them, find and trim the primers, keep the length
# window, drop reads over the expected-error limit and dereplicate, all in one job
# (python -m riverfish.reads chains vsearch and cutadapt; on small samples start-up costs
# more than the tools).


rule sample_reads:
    input:
        unpack(sample_fastq),
    output:
        uniques=f"{OUT}/campaigns/{{campaign}}/samples/{{sample}}.uniques.fasta",
        stats=f"{OUT}/campaigns/{{campaign}}/samples/{{sample}}.stats.json",
    log:
        f"{OUT}/logs/sample_reads/{{campaign}}/{{sample}}.log",
    benchmark:
        f"{OUT}/benchmarks/sample_reads/{{campaign}}/{{sample}}.tsv"
    group:
        "reads"
    conda:
        "../envs/reads.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    params:
        settings=read_params(),
    shell:
        "python -m riverfish.reads --sample {wildcards.sample:q} --r1 {input.r1:q}"
        " --r2 {input.r2:q} --uniques {output.uniques:q} --stats {output.stats:q}"
        " --params {params.settings:q} --threads {threads} 2> {log:q}"
