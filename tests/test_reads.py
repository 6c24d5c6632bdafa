"""Per-sample processing on hand-made read pairs with known content."""

import gzip
import io
import json
import random

import pytest

from conftest import needs_vsearch
from riverfish.errors import InputError
from riverfish.primers import reverse_complement
from riverfish.reads import ReadParams, count_pairs, process_sample

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
    params = ReadParams(forward=FWD_DEG, reverse=REV_DEG, **kw)
    log = io.StringIO()
    out = tmp_path / "out"
    with open(tmp_path / "log.txt", "w") as logf:
        stats = process_sample(
            "s1", r1, r2, params, out / "s1.uniques.fasta", out / "s1.stats.json", logf
        )
    del log
    uniques = (out / "s1.uniques.fasta").read_text().split("\n")
    return stats, uniques, json.loads((out / "s1.stats.json").read_text())


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
    assert uniques[1] == INSERT
    assert uniques[0].endswith(";size=26")
    assert saved == {
        "sample": "s1",
        "raw_pairs": 30,
        "merged": 30,
        "primer_trimmed": 26,
        "length_ok": 26,
        "quality_ok": 26,
        "uniques": 1,
    }


@needs_vsearch
def test_length_window_and_sample_without_primers(tmp_path):
    frags = [fragment("AC", "GGG")] * 3
    r1, r2 = write_pairs(tmp_path, frags)
    stats, uniques, _ = run(tmp_path, r1, r2, min_length=180)
    assert (stats.primer_trimmed, stats.length_ok, stats.quality_ok) == (3, 0, 0)
    assert uniques == [""]  # an empty sample is a result: empty FASTA, zeros

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
