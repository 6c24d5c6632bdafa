"""Read processing of a campaign on hand-made read pairs with known content, and the
exact-primer shortcut against cutadapt alone on a real MiSeq run."""

import gzip
import random

import pytest

from conftest import PMIFISH, needs_vsearch
from riverfish.errors import InputError, ToolError
from riverfish.primers import reverse_complement
from riverfish.reads import (
    ExactPrimers,
    ReadParams,
    SampleError,
    count_pairs,
    process_campaign,
    read_stats_table,
    read_uniques_table,
)

# A real MiFish 12S insert (Oncorhynchus mykiss), 172 bp.
INSERT = (
    "CACCGCGGTTATACGAGAGGCCCAAGTTGATAGACACCGGCGTAAAGAGTGGTTAAGATAAACCCTAAACTAAAGCCGAACG"
    "CCTTCAAGGCTGTTATACGCATCCGAAGGTAAGAAGCCCAACCACGAAAGTGACTTTACATCCCCGACCCCACGAAAGCTAAG"
    "AAAC"
)
# Unity primers (degenerate) and one concrete variant of each, as in real reads.
FWD_DEG, REV_DEG = "GYYGGTAAAWCTCGTGCCAGC", "CATAGKRGGGTRTCTAATCCYMGTTTG"
FWD_E, REV_U = "GTTGGTAAATCTCGTGCCAGC", "CATAGTGGGGTATCTAATCCCAGTTTG"


def fragment(prefix: str, suffix: str) -> str:
    return prefix + FWD_E + INSERT + reverse_complement(REV_U) + suffix


def write_pairs(tmp_path, fragments, names=None, length=150):
    """Paired FASTQ (gzip) from fragments: R1 = start of the fragment, R2 = start of its
    reverse complement, both with high qualities."""
    r1, r2 = tmp_path / "s_R1.fastq.gz", tmp_path / "s_R2.fastq.gz"
    with gzip.open(r1, "wt") as f1, gzip.open(r2, "wt") as f2:
        for i, frag in enumerate(fragments):
            n1, n2 = names[i] if names else (f"read{i} 1:N:0", f"read{i} 2:N:0")
            a, b = frag[:length], reverse_complement(frag)[:length]
            f1.write(f"@{n1}\n{a}\n+\n{'I' * len(a)}\n")
            f2.write(f"@{n2}\n{b}\n+\n{'I' * len(b)}\n")
    return str(r1), str(r2)


def run(tmp_path, r1, r2, **kw):
    """One sample through the campaign's read steps: (stats, uniques file lines, stats row)."""
    params = ReadParams(forward=FWD_DEG, reverse=REV_DEG, **kw)
    out = tmp_path / "out"
    with open(tmp_path / "log.txt", "w") as logf:
        (stats,) = process_campaign(
            [("s1", r1, r2)], params, out / "uniques.tsv", out / "stats.tsv", logf
        )
    uniques = (out / "uniques.tsv").read_text().split("\n")
    return stats, uniques, read_stats_table(out / "stats.tsv")["s1"]


@needs_vsearch
def test_random_prefix_degenerate_primers_and_both_orientations(tmp_path):
    rng = random.Random(1)
    frags = []
    for k in range(7):  # 0..6 random leading bases
        for _ in range(3):
            pre = "".join(rng.choice("ACGT") for _ in range(k))
            suf = "".join(rng.choice("ACGT") for _ in range(6))
            frags.append(fragment(pre, suf))
    # 5 pairs in the other orientation (R1 starts with the reverse primer)
    frags += [reverse_complement(fragment("ACG", "TTTAAA")) for _ in range(5)]
    # 4 pairs with 9 leading bases: beyond the 0..6 random prefix, not trimmed
    frags += [fragment("ACGTACGTA", "CCCCCC") for _ in range(4)]
    r1, r2 = write_pairs(tmp_path, frags)
    stats, uniques, saved = run(tmp_path, r1, r2)
    assert (stats.raw_pairs, stats.merged, stats.primer_trimmed) == (30, 30, 26)
    assert (stats.length_ok, stats.quality_ok, stats.uniques) == (26, 26, 1)
    assert uniques == ["sample\treads\tsequence", f"s1\t26\t{INSERT}", ""]
    assert saved == {
        "raw_pairs": 30,
        "merged": 30,
        "primer_trimmed": 26,
        "length_ok": 26,
        "quality_ok": 26,
        "uniques": 1,
        "merged_after_truncation": 0,
    }


@needs_vsearch
def test_length_window_and_sample_without_primers(tmp_path):
    frags = [fragment("AC", "GGG")] * 3
    r1, r2 = write_pairs(tmp_path, frags)
    stats, uniques, _ = run(tmp_path, r1, r2, min_length=180)
    assert (stats.primer_trimmed, stats.length_ok, stats.quality_ok) == (3, 0, 0)
    assert uniques == ["sample\treads\tsequence", ""]  # an empty sample is a result

    # reads that carry no primer at all
    rng = random.Random(2)
    junk = ["".join(rng.choice("ACGT") for _ in range(230)) for _ in range(5)]
    r1, r2 = write_pairs(tmp_path, junk)
    stats, uniques, saved = run(tmp_path, r1, r2)
    assert saved["raw_pairs"] == 5 and saved["primer_trimmed"] == 0 and saved["quality_ok"] == 0


def test_count_pairs_mismatched_names(tmp_path):
    names = [("a 1:N", "a 2:N"), ("b 1:N", "c 2:N")]
    r1, r2 = write_pairs(tmp_path, [fragment("", "")] * 2, names=names)
    with pytest.raises(InputError, match="Read name 'b 1:N' in file 1 does not match 'c 2:N'"):
        count_pairs(r1, r2)


def test_count_pairs_different_counts(tmp_path):
    r1, _ = write_pairs(tmp_path, [fragment("", "")] * 3)
    (tmp_path / "short").mkdir()
    _, r2 = write_pairs(tmp_path / "short", [fragment("", "")] * 2)
    with pytest.raises(InputError, match="do not form valid FASTQ pairs after 2 pairs"):
        count_pairs(r1, r2)


def test_count_pairs_truncated_gzip(tmp_path):
    r1, r2 = write_pairs(tmp_path, [fragment("", "")] * 50)
    data = open(r1, "rb").read()
    with open(r1, "wb") as fh:
        fh.write(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt gzip"):
        count_pairs(r1, r2)


def test_exact_primers_shortcut():
    primers = ExactPrimers(ReadParams(forward=FWD_DEG, reverse=REV_DEG, random_prefix_max=6))
    frag = fragment("ACGTAC", "TT")
    qual = "".join(chr(33 + i % 40) for i in range(len(frag)))
    ins = frag.index(INSERT)
    assert primers.trim(frag, qual) == (INSERT, qual[ins : ins + len(INSERT)])
    # the other orientation comes back as the insert, qualities reversed with it
    rc = reverse_complement(frag)
    assert primers.trim(rc, qual) == (INSERT, qual[::-1][ins : ins + len(INSERT)])
    # a primer error, an N in a primer, or a prefix longer than 6: left to cutadapt
    assert primers.trim("A" + frag.replace(FWD_E, "GTTGGTAAATCTCGAGCCAGC"), qual) is None
    assert primers.trim(frag.replace(FWD_E, "GTTGGTAAATCTCGNGCCAGC"), qual) is None
    assert primers.trim("ACGTACG" + frag, qual) is None


@needs_vsearch
def test_two_samples_in_parallel_and_all_bad_samples_named(tmp_path):
    rng = random.Random(3)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_pairs(tmp_path / "a", [fragment("AC", "GG")] * 7)
    junk = ["".join(rng.choice("ACGT") for _ in range(230)) for _ in range(3)]
    b = write_pairs(tmp_path / "b", [fragment("", "T")] * 4 + junk)
    params = ReadParams(forward=FWD_DEG, reverse=REV_DEG)
    with open(tmp_path / "log.txt", "w") as log:
        stats = process_campaign(
            [("a", *a), ("b", *b)], params, tmp_path / "u.tsv", tmp_path / "s.tsv", log, threads=2
        )
    assert [(s.sample, s.raw_pairs, s.primer_trimmed, s.quality_ok) for s in stats] == [
        ("a", 7, 7, 7),
        ("b", 7, 4, 4),
    ]
    assert read_uniques_table(tmp_path / "u.tsv") == {"a": {INSERT: 7}, "b": {INSERT: 4}}

    # two samples with bad input: the job fails naming both, and writes nothing
    (tmp_path / "c").mkdir()
    c1, c2 = write_pairs(tmp_path / "c", [fragment("", "")] * 3)
    with gzip.open(c2, "wt") as fh:
        fh.write("@x 2:N\nACGT\n+\nIIII\n")
    out = tmp_path / "bad"
    with open(tmp_path / "log2.txt", "w") as log, pytest.raises(SampleError) as err:
        process_campaign(
            [("a", *a), ("c", c1, c2), ("d", a[0], c2)], params, out / "u.tsv", out / "s.tsv", log
        )
    msg = str(err.value)
    assert msg.startswith("2 of 3 samples failed:")
    assert "error in sample 'c':" in msg and "error in sample 'd':" in msg
    assert "error in sample 'a'" not in msg
    assert not (out / "u.tsv").exists() and not (out / "s.tsv").exists()
    assert [p.name for p in out.iterdir()] == []  # no work folder left either


@needs_vsearch
@pytest.mark.skipif(not PMIFISH.is_dir(), reason="the shared PMiFish run is not there")
def test_exact_shortcut_equals_cutadapt_alone_on_a_real_run(tmp_path):
    """The shortcut trims exactly the reads cutadapt would, on a real MiSeq run (Unity
    primers, 0-7 random bases): identical uniques and read tracking."""
    r1 = str(PMIFISH / "sample_S1_L001_R1_001.fastq.gz")
    r2 = str(PMIFISH / "sample_S1_L001_R2_001.fastq.gz")
    params = ReadParams(forward=FWD_DEG, reverse=REV_DEG, random_prefix_max=7)
    got = {}
    for shortcut in (True, False):
        out = tmp_path / str(shortcut)
        with open(tmp_path / f"{shortcut}.log", "w") as log:
            (stats,) = process_campaign(
                [("run", r1, r2)],
                params,
                out / "u.tsv",
                out / "s.tsv",
                log,
                exact_shortcut=shortcut,
            )
        got[shortcut] = ((out / "u.tsv").read_bytes(), stats)
    assert got[True] == got[False]
    stats = got[True][1]
    # (max_diffs 10 and no retries merged 9918 pairs; 9852 and 9740 after the primers and
    # the error limit)
    assert (stats.raw_pairs, stats.merged, stats.primer_trimmed, stats.quality_ok) == (
        10000,
        9940,
        9870,
        9743,
    )
    assert stats.merged_after_truncation == 4
    log = (tmp_path / "True.log").read_text()
    assert "with both primers exactly" in log  # the shortcut did the bulk of the work


@needs_vsearch
@pytest.mark.skipif(not PMIFISH.is_dir(), reason="the shared PMiFish run is not there")
@pytest.mark.parametrize("max_ee", [1.0, 0.3])
def test_read_filter_keeps_what_vsearch_keeps(tmp_path, max_ee):
    """The length window and expected-error limit keep exactly the reads vsearch
    --fastq_filter keeps, on the real run's trimmed reads (a tight limit too)."""
    import subprocess

    from riverfish.reads import ReadFilter

    merged = tmp_path / "merged.fastq"
    subprocess.run(
        ["vsearch", "--fastq_mergepairs", str(PMIFISH / "sample_S1_L001_R1_001.fastq.gz")]
        + ["--reverse", str(PMIFISH / "sample_S1_L001_R2_001.fastq.gz")]
        + ["--fastqout", str(merged), "--quiet"],
        check=True,
    )
    params = ReadParams(
        forward=FWD_DEG, reverse=REV_DEG, random_prefix_max=7, max_expected_errors=max_ee
    )
    lines = merged.read_text().splitlines()
    primers = ExactPrimers(params)
    trimmed = [primers.trim(s, q) for s, q in zip(lines[1::4], lines[3::4], strict=True)]
    trimmed = [t for t in trimmed if t is not None]
    # a few reads outside the length window, to test it too
    trimmed += [(s[:120], q[:120]) for s, q in trimmed[:5]]
    fq = tmp_path / "trimmed.fastq"
    fq.write_text("".join(f"@r{i}\n{s}\n+\n{q}\n" for i, (s, q) in enumerate(trimmed)))
    kept = tmp_path / "kept.fasta"
    subprocess.run(
        ["vsearch", "--fastq_filter", str(fq), "--fastq_minlen", "130", "--fastq_maxlen"]
        + ["220", "--fastq_maxee", str(max_ee), "--fasta_width", "0", "--fastaout", str(kept)]
        + ["--quiet"],
        check=True,
    )
    expected = kept.read_text().splitlines()[1::2]
    in_window, got = ReadFilter(params).apply([s for s, _ in trimmed], [q for _, q in trimmed])
    assert got == expected
    assert in_window == len(trimmed) - 5
    assert 1000 < len(expected) < len(trimmed) - 5  # the limit did discard reads


def _pairs_with_bad_tails(tmp_path, n=20, bad=14, seed=3):
    """Pairs of one fragment whose last ``bad`` bases (low quality) are half wrong, as
    in runs whose quality drops towards the 3' ends: vsearch refuses the whole overlap."""
    rng = random.Random(seed)
    frag = fragment("ACGTAC", "TTGACC")

    def corrupt(seq):
        s = list(seq)
        for i in range(len(s) - bad, len(s)):
            if rng.random() < 0.5:
                s[i] = rng.choice([b for b in "ACGT" if b != s[i]])
        return "".join(s)

    r1, r2 = tmp_path / "bad_R1.fastq.gz", tmp_path / "bad_R2.fastq.gz"
    qual = "I" * (150 - bad) + "5" * bad
    with gzip.open(r1, "wt") as f1, gzip.open(r2, "wt") as f2:
        for i in range(n):
            a, b = corrupt(frag[:150]), corrupt(reverse_complement(frag)[:150])
            f1.write(f"@read{i} 1:N:0\n{a}\n+\n{qual}\n")
            f2.write(f"@read{i} 2:N:0\n{b}\n+\n{qual}\n")
    return str(r1), str(r2)


@needs_vsearch
def test_pairs_with_bad_tails_merge_after_truncation(tmp_path):
    r1, r2 = _pairs_with_bad_tails(tmp_path)
    stats, uniques, saved = run(tmp_path, r1, r2)
    assert (stats.raw_pairs, stats.merged, stats.merged_after_truncation) == (20, 20, 20)
    # the cut reads still span the whole amplicon: the insert is exact
    assert uniques == ["sample\treads\tsequence", f"s1\t20\t{INSERT}", ""]
    assert saved["merged_after_truncation"] == 20


@needs_vsearch
def test_without_retries_bad_tails_do_not_merge(tmp_path):
    r1, r2 = _pairs_with_bad_tails(tmp_path)
    stats, uniques, _ = run(tmp_path, r1, r2, retry_lengths=())
    assert (stats.raw_pairs, stats.merged, stats.merged_after_truncation) == (20, 0, 0)
    assert uniques == ["sample\treads\tsequence", ""]


@needs_vsearch
def test_truncating_every_read_before_merging(tmp_path):
    # cutting every read to 130 bases removes the bad tails before the first try
    r1, r2 = _pairs_with_bad_tails(tmp_path)
    stats, uniques, _ = run(tmp_path, r1, r2, truncate_r1=130, truncate_r2=130, retry_lengths=())
    assert (stats.merged, stats.merged_after_truncation) == (20, 0)
    assert uniques == ["sample\treads\tsequence", f"s1\t20\t{INSERT}", ""]


@needs_vsearch
def test_reads_over_the_error_limit_are_kept_apart(tmp_path):
    # 10 clean pairs and 5 whose qualities are low all along: the 5 are in the length
    # window but over the limit, written to the noisy table, not to the uniques
    frags = [fragment("ACG", "TTTAAA")] * 15
    r1, r2 = write_pairs(tmp_path, frags)
    low = tmp_path / "low"
    low.mkdir()
    for src in (r1, r2):
        lines = gzip.open(src, "rt").read().split("\n")
        for k in range(10 * 4 + 3, len(lines), 4):
            lines[k] = "+" * len(lines[k])  # Q10 at every base
        with gzip.open(low / src.rsplit("/", 1)[1], "wt") as fh:
            fh.write("\n".join(lines))
    params = ReadParams(forward=FWD_DEG, reverse=REV_DEG)
    out = tmp_path / "out"
    with open(tmp_path / "log.txt", "w") as logf:
        (stats,) = process_campaign(
            [("s1", str(low / "s_R1.fastq.gz"), str(low / "s_R2.fastq.gz"))],
            params,
            out / "uniques.tsv",
            out / "stats.tsv",
            logf,
            noisy_out=out / "noisy.tsv",
        )
    assert (stats.merged, stats.length_ok, stats.quality_ok) == (15, 15, 10)
    assert read_uniques_table(out / "uniques.tsv")["s1"] == {INSERT: 10}
    assert read_uniques_table(out / "noisy.tsv")["s1"] == {INSERT: 5}


@needs_vsearch
def test_cutadapt_dying_mid_run_fails_the_job_and_writes_nothing(tmp_path):
    """cutadapt stops reading while reads are still being fed to it: the job fails with
    its exit status and leaves no output and no work folder."""
    fake = tmp_path / "cutadapt"
    fake.write_text("#!/bin/sh\necho 'cutadapt: out of memory' >&2\nexit 3\n")
    fake.chmod(0o755)
    # a mismatch in the forward primer: every read goes to cutadapt, far more than a
    # pipe holds (64 kB)
    bad_primer = "GTTGGTAAATCTCGTGCCAGA"
    frag = "AC" + bad_primer + INSERT + reverse_complement(REV_U) + "GG"
    samples = []
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        samples.append((name, *write_pairs(tmp_path / name, [frag] * 1500)))
    out = tmp_path / "out"
    params = ReadParams(forward=FWD_DEG, reverse=REV_DEG)
    with open(tmp_path / "log.txt", "w") as log, pytest.raises(ToolError) as err:
        process_campaign(samples, params, out / "u.tsv", out / "s.tsv", log, cutadapt=str(fake))
    assert "cutadapt (primer trimming) failed (exit status 3)" in str(err.value)
    assert "out of memory" in (tmp_path / "log.txt").read_text()
    assert [p.name for p in out.iterdir()] == []


def test_a_tool_output_cut_short_on_a_full_disk_says_the_disk_is_full(tmp_path, monkeypatch):
    """vsearch can leave a cut-short FASTQ with exit status 0 when the disk fills: the
    error names the full disk, not only the broken record."""
    import shutil
    from collections import namedtuple

    from riverfish import reads

    cut = tmp_path / "0.merged0.fastq"
    cut.write_text("@r1\nACGTACGT\n+\nIIII")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(400_000, 400_000, 0))
    with pytest.raises(ToolError) as err:
        list(reads._fastq_records(cut))
    assert "Length of sequence and qualities differ" in str(err.value)
    assert f"No space left on device: the disk holding {tmp_path} has 0 bytes free" in str(
        err.value
    )
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**12, 0, 10**12))
    with pytest.raises(ToolError) as err:
        list(reads._fastq_records(cut))
    assert "No space left" not in str(err.value)
