"""Bad input gets a clear error naming sheet, line and column, before any job runs; a
failing sample leaves no partial output; empty samples are results."""

import gzip

import pandas as pd

from conftest import DEV, example_config, needs_shared, needs_vsearch, run_workflow, write_sheet

R1 = DEV / "reads" / "HY-mine_2025-spring_r1_S3_L001_R1_001.fastq.gz"
R2 = DEV / "reads" / "HY-mine_2025-spring_r1_S3_L001_R2_001.fastq.gz"

pytestmark = [needs_shared, needs_vsearch]


def row(sample="s1", **kw):
    base = {
        "sample": sample,
        "basin": "Hayase",
        "site": "HY-mine",
        "replicate": 1,
        "type": "sample",
        "fq1": str(R1),
        "fq2": str(R2),
    }
    base.update(kw)
    return base


def dry_run(tmp_path, campaigns):
    proc = run_workflow(tmp_path, example_config(campaigns), extra=["-n"], check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_missing_fastq(tmp_path):
    sheet = write_sheet(tmp_path / "c1.tsv", [row(), row("s2", fq2="reads/nothere_R2.fastq.gz")])
    rc, out = dry_run(tmp_path, {"c1": str(sheet)})
    assert rc != 0
    assert f"{sheet}, line 3, column 'fq2': FASTQ file of sample 's2' not found" in out
    assert "nothere_R2.fastq.gz" in out and "relative to the project root" in out


def test_duplicate_sample_names_across_campaigns(tmp_path):
    a = write_sheet(tmp_path / "c1.tsv", [row("s1")])
    b = write_sheet(tmp_path / "c2.tsv", [row("s2"), row("s1", replicate=2)])
    rc, out = dry_run(tmp_path, {"c1": str(a), "c2": str(b)})
    assert rc != 0
    assert f"{b}, line 3, column 'sample': sample name 's1' is already used at {a}, line 2" in out


def test_unknown_type(tmp_path):
    sheet = write_sheet(tmp_path / "c1.tsv", [row(), row("s2", type="blank")])
    rc, out = dry_run(tmp_path, {"c1": str(sheet)})
    assert rc != 0
    assert f"{sheet}, line 3, column 'type': 'blank' is not one of" in out
    assert "field_blank" in out


def test_unsafe_sample_name(tmp_path):
    sheet = write_sheet(tmp_path / "c1.tsv", [row("s1; rm -rf ~")])
    rc, out = dry_run(tmp_path, {"c1": str(sheet)})
    assert rc != 0
    assert f"{sheet}, line 2, column 'sample': 's1; rm -rf ~' does not match" in out
    assert "letters, digits" in out


def test_campaign_sheet_missing(tmp_path):
    rc, out = dry_run(tmp_path, {"2026-spring": str(tmp_path / "nope.tsv")})
    assert rc != 0
    assert "the sample sheet of campaign '2026-spring' does not exist" in out
    assert "nope.tsv" in out


def test_replicate_not_a_number(tmp_path):
    sheet = write_sheet(tmp_path / "c1.tsv", [row(replicate="two")])
    rc, out = dry_run(tmp_path, {"c1": str(sheet)})
    assert rc != 0
    assert f"{sheet}, line 2, column 'replicate': 'two' is not of type 'integer'" in out


def _outputs(tmp_path, campaign="c1"):
    d = tmp_path / "results" / "campaigns" / campaign / "reads"
    return [d / "uniques.tsv", d / "stats.tsv"]


def _log(tmp_path, campaign="c1"):
    return (tmp_path / "results" / "logs" / "campaign_reads" / f"{campaign}.log").read_text()


def test_r1_r2_different_read_counts(tmp_path):
    short = tmp_path / "short_R2.fastq.gz"
    with gzip.open(R2, "rt") as src, gzip.open(short, "wt") as dst:
        lines = src.readlines()
        dst.writelines(lines[: len(lines) - 8])  # two reads fewer
    sheet = write_sheet(tmp_path / "c1.tsv", [row(fq2=str(short))])
    proc = run_workflow(tmp_path, example_config({"c1": str(sheet)}), check=False)
    assert proc.returncode != 0
    log = _log(tmp_path)
    assert "error in sample 's1'" in log and "do not form valid FASTQ pairs after 4998" in log
    assert not any(p.exists() for p in _outputs(tmp_path))


def test_mismatched_read_names(tmp_path):
    other = DEV / "reads" / "HY-mine_2025-spring_r2_S4_L001_R2_001.fastq.gz"
    sheet = write_sheet(tmp_path / "c1.tsv", [row(fq2=str(other))])
    proc = run_workflow(tmp_path, example_config({"c1": str(sheet)}), check=False)
    assert proc.returncode != 0
    log = _log(tmp_path)
    assert "Reads are improperly paired" in log and "after 0 pairs" in log
    assert not any(p.exists() for p in _outputs(tmp_path))


def test_truncated_gzip(tmp_path):
    cut = tmp_path / "cut_R1.fastq.gz"
    data = R1.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    sheet = write_sheet(tmp_path / "c1.tsv", [row(fq1=str(cut))])
    proc = run_workflow(tmp_path, example_config({"c1": str(sheet)}), check=False)
    assert proc.returncode != 0
    assert "truncated or corrupt gzip" in _log(tmp_path)
    assert not any(p.exists() for p in _outputs(tmp_path))
    assert not (tmp_path / "results" / "asv" / "asvs.fasta").exists()


def _no_primer_pairs(r1, r2, n=20):
    """Pairs of a 230 bp fragment that merge well but carry no primer."""
    import random

    from riverfish.primers import reverse_complement

    rng = random.Random(7)
    frag = "".join(rng.choice("ACGT") for _ in range(230))
    with gzip.open(r1, "wt") as f1, gzip.open(r2, "wt") as f2:
        for i in range(n):
            f1.write(f"@r{i} 1:N\n{frag[:150]}\n+\n{'I' * 150}\n")
            f2.write(f"@r{i} 2:N\n{reverse_complement(frag)[:150]}\n+\n{'I' * 150}\n")


def test_empty_samples_are_results(tmp_path):
    """A sample without primers gives zeros; a campaign of only empty samples finishes."""
    e1, e2 = tmp_path / "e_R1.fastq.gz", tmp_path / "e_R2.fastq.gz"
    _no_primer_pairs(e1, e2)
    # each sample has its own files (one file in two samples is refused as a slip)
    f1, f2 = tmp_path / "f_R1.fastq.gz", tmp_path / "f_R2.fastq.gz"
    _no_primer_pairs(f1, f2)
    z1, z2 = tmp_path / "z_R1.fastq.gz", tmp_path / "z_R2.fastq.gz"
    for z in (z1, z2):
        with gzip.open(z, "wt"):
            pass  # a valid gzip file holding no reads
    c1 = write_sheet(
        tmp_path / "c1.tsv", [row("s1"), row("nothing", replicate=2, fq1=str(e1), fq2=str(e2))]
    )
    c2 = write_sheet(
        tmp_path / "c2.tsv",
        [
            row("empty1", fq1=str(f1), fq2=str(f2)),
            row("empty2", replicate=2, fq1=str(z1), fq2=str(z2)),
        ],
    )
    run_workflow(tmp_path, example_config({"c1": str(c1), "c2": str(c2)}))
    tracking = pd.read_csv(tmp_path / "results" / "qc" / "read_tracking.tsv", sep="\t")
    t = tracking.set_index("sample")
    assert list(t.loc["nothing", ["raw_pairs", "merged", "primer_trimmed", "in_asvs"]]) == [
        20,
        20,
        0,
        0,
    ]
    # after_controls, then merged_after_truncation
    assert list(t.loc["empty2"]) == ["c2", 0, 0, 0, 0, 0, 0, 0, 0]
    assert t.loc["s1", "in_asvs"] > 4000
    assert (tmp_path / "results" / "campaigns" / "c2" / "asvs.fasta").read_text() == ""
    counts = pd.read_csv(tmp_path / "results" / "asv" / "asv_counts.tsv", sep="\t")
    assert set(counts["sample"]) == {"s1"}


def test_campaign_settings_of_an_unknown_campaign(tmp_path):
    sheet = write_sheet(tmp_path / "c1.tsv", [row()])
    config = example_config({"c1": str(sheet)})
    config["campaign_settings"] = {"c2": {"merge": {"max_diffs": 5}}}
    proc = run_workflow(tmp_path, config, extra=["-n"], check=False)
    assert proc.returncode != 0
    assert (
        "config: campaign_settings names campaigns that are not in 'campaigns': c2; "
        "campaigns are c1"
    ) in proc.stdout + proc.stderr


def test_campaign_settings_checked_like_the_sections_they_change(tmp_path):
    sheet = write_sheet(tmp_path / "c1.tsv", [row()])
    config = example_config({"c1": str(sheet)})
    config["campaign_settings"] = {"c1": {"merge": {"retry_lengths": [140, 5]}}}
    proc = run_workflow(tmp_path, config, extra=["-n"], check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "config: campaign_settings of campaign 'c1' are not valid" in out
    assert "5 is less than the minimum of 20" in out
