"""The campaign simulator (riverfish.simulate) and the benchmark command at a tiny size."""

import csv
import json
import shutil
import subprocess
import sys

import dnaio
import numpy as np
import pytest

from conftest import DEV, REFERENCE, ROOT, needs_shared, needs_vsearch
from riverfish import simulate as sim
from riverfish.primers import reverse_complement

FWD, REV = sim.MIFISH_U_FORWARD, sim.MIFISH_U_REVERSE
# A real MiFish 12S insert (Oncorhynchus mykiss) and two made-up relatives, far apart.
INSERT_A = (
    "CACCGCGGTTATACGAGAGGCCCAAGTTGATAGACACCGGCGTAAAGAGTGGTTAAGATAAACCCTAAACTAAAGCCGAACG"
    "CCTTCAAGGCTGTTATACGCATCCGAAGGTAAGAAGCCCAACCACGAAAGTGACTTTACATCCCCGACCCCACGAAAGCTAAG"
    "AAAC"
)
_rng = np.random.default_rng(3)
INSERT_B = "".join(_rng.choice(list("ACGT"), size=168))
INSERT_C = "".join(_rng.choice(list("ACGT"), size=176))
INSERT_D = "".join(_rng.choice(list("ACGT"), size=171))


def hap(species, seq, rank="species", genus=None, family="Fam", order="Ord"):
    genus = genus or species.split("_")[0]
    taxon = species if rank == "species" else f"{genus}_sp"
    return sim.Haplotype(species, f"id_{species}", seq, taxon, rank, genus, family, order)


HAPS = {
    "Alpha_one": hap("Alpha_one", INSERT_A, family="Fa", order="Oa"),
    "Beta_two": hap("Beta_two", INSERT_B, family="Fb", order="Oa"),
    "Gamma_three": hap("Gamma_three", INSERT_C, rank="genus", family="Fc", order="Ob"),
    "Sardinops_melanostictus": hap("Sardinops_melanostictus", INSERT_D, "genus", "Sardinops"),
}


def design(name, comp, pairs, kind="sample", campaign="c1", site="S1", rep=1):
    return sim.SampleDesign(
        sample=name,
        campaign=campaign,
        basin="B",
        site=site,
        replicate=rep,
        type=kind,
        pairs=pairs,
        composition=tuple(comp),
    )


def read_pairs(r1, r2):
    with dnaio.open(r1, file2=r2) as reader:
        return [(a.name, a.sequence, a.qualities, b.name, b.sequence) for a, b in reader]


def simulate_one(tmp_path, d, params, mixture=(), profile=None, index=1, seed=5):
    r1, r2 = tmp_path / f"{d.sample}_R1.fastq.gz", tmp_path / f"{d.sample}_R2.fastq.gz"
    profile = profile or sim.synthetic_quality_profile(params.read_length)
    counts = sim.simulate_sample(d, index, HAPS, list(mixture), profile, params, seed, r1, r2)
    return counts, r1, r2


def test_error_free_pair_is_the_amplicon_and_merges_to_it(tmp_path):
    params = sim.SimParams(chimera_rate=0, tag_jump_rate=0, dimer_rate=0, errors=False)
    d = design("s1", [("Alpha_one", 1.0)], 40)
    counts, r1, r2 = simulate_one(tmp_path, d, params)
    assert (counts.pairs, counts.true, counts.per_species) == (40, 40, {"Alpha_one": 40})
    top = FWD + INSERT_A + reverse_complement(REV)
    pairs = read_pairs(r1, r2)
    assert len(pairs) == 40
    for n1, s1, q1, n2, s2 in pairs:
        assert n1.split()[0] == n2.split()[0] and n1.split()[1].startswith("1:N:0:")
        assert len(s1) == len(s2) == len(q1) == 150
        assert s1[6:] == top[:144]
        assert s2[6:] == reverse_complement(top)[:144]
    if shutil.which("vsearch") is None:
        pytest.skip("vsearch not on PATH")
    merged = tmp_path / "merged.fastq"
    subprocess.run(
        ["vsearch", "--fastq_mergepairs", r1, "--reverse", r2, "--fastqout", merged, "--quiet"],
        check=True,
    )
    with dnaio.open(merged) as reader:
        seqs = [r.sequence for r in reader]
    assert len(seqs) == 40
    for (_, s1, _, _, s2), m in zip(pairs, seqs, strict=True):
        assert m == s1[:6] + top + reverse_complement(s2[:6])


def test_errors_follow_the_drawn_qualities(tmp_path):
    params = sim.SimParams(chimera_rate=0, tag_jump_rate=0, dimer_rate=0)
    d = design("s1", [("Alpha_one", 1.0)], 4000)
    rng = np.random.default_rng(1)
    q = rng.integers(10, 31, size=(500, 150), dtype=np.uint8)
    q[:, :6] = 40  # prefixes are random anyway
    profile = sim.QualityProfile(q, q[::-1].copy())
    rows = {bytes(row + 33) for row in np.concatenate([profile.r1, profile.r2])}
    _, r1, r2 = simulate_one(tmp_path, d, params, profile=profile)
    top = FWD + INSERT_A + reverse_complement(REV)
    truth1, truth2 = top[:144], reverse_complement(top)[:144]
    errors = expected = bases = 0
    with dnaio.open(r1, file2=r2) as reader:
        for a, b in reader:
            for seq, qual, ref in (
                (a.sequence, a.qualities, truth1),
                (b.sequence, b.qualities, truth2),
            ):
                assert qual.encode() in rows
                q = np.frombuffer(qual[6:].encode(), dtype=np.uint8).astype(float) - 33
                s = np.frombuffer(seq[6:].encode(), dtype=np.uint8)
                t = np.frombuffer(ref.encode(), dtype=np.uint8)
                called = s != ord("N")
                errors += int(((s != t) & called).sum())
                expected += float((10.0 ** (-q[called] / 10.0)).sum())
                bases += int(called.sum())
    assert bases > 1_000_000
    assert errors == pytest.approx(expected, rel=0.03)
    assert expected / bases == pytest.approx(profile.expected_error_rate(), rel=0.05)


def test_quality_models_keep_the_per_position_distribution():
    profile = sim.synthetic_quality_profile(150)
    rng = np.random.default_rng(2)
    for model in ("pairs", "positions"):
        q1, q2 = profile.draw(rng, 20_000, 150, model)
        assert q1.shape == q2.shape == (20_000, 150)
        for drawn, mate in ((q1, 1), (q2, 2)):
            want = profile.position_distribution(mate) @ np.arange(94)
            assert np.abs(drawn.mean(axis=0) - want).max() < 0.2, model
    # whole pairs: the two mates of a pair come from the same real pair
    q1, q2 = profile.draw(rng, 50, 150, "pairs")
    rows = {(bytes(a), bytes(b)) for a, b in zip(profile.r1, profile.r2, strict=True)}
    assert all((bytes(a), bytes(b)) in rows for a, b in zip(q1, q2, strict=True))


def classify_reads(pairs, comp):
    """Kind of each simulated pair, from its error-free sequences."""
    tops = {sp: FWD + HAPS[sp].sequence + reverse_complement(REV) for sp in HAPS}
    kinds = {"true": 0, "tag_jumps": 0, "dimers": 0, "chimeras": 0, "contaminant": 0}
    for _, s1, _, _, s2 in pairs:
        if s1[6:].startswith(FWD + reverse_complement(REV) + reverse_complement(s2[:6])):
            kinds["dimers"] += 1
            continue
        same = [
            sp
            for sp, t in tops.items()
            if s1[6:] == t[:144] and s2[6:] == reverse_complement(t)[:144]
        ]
        if not same:
            kinds["chimeras"] += 1
        elif same[0] == "Sardinops_melanostictus":
            kinds["contaminant"] += 1
        elif same[0] in comp:
            kinds["true"] += 1
        else:
            kinds["tag_jumps"] += 1
    return kinds


def test_chimeras_tag_jumps_dimers_as_configured(tmp_path):
    params = sim.SimParams(
        chimera_rate=0.05, tag_jump_rate=0.02, dimer_rate=0.01, contaminant_trace=0.0, errors=False
    )
    comp = {"Alpha_one": 0.6, "Beta_two": 0.4}
    d = design("s1", comp.items(), 20_000)
    counts, r1, r2 = simulate_one(tmp_path, d, params, mixture=[("Gamma_three", 1.0)])
    for kind, rate in (("chimeras", 0.05), ("tag_jumps", 0.02), ("dimers", 0.01)):
        n = getattr(counts, kind)
        assert abs(n - rate * 20_000) < 5 * (rate * 20_000) ** 0.5, kind
    found = classify_reads(read_pairs(r1, r2), comp)
    # a chimera whose breakpoint lies beyond what the reads cover looks like a parent
    assert found["dimers"] == counts.dimers
    assert found["tag_jumps"] == counts.tag_jumps
    assert found["chimeras"] <= counts.chimeras
    assert found["chimeras"] > 0.8 * counts.chimeras
    assert found["true"] + found["chimeras"] == counts.true + counts.chimeras
    assert counts.true == sum(counts.per_species.values())
    assert counts.per_species["Alpha_one"] / counts.true == pytest.approx(0.6, abs=0.02)


@needs_vsearch
def test_chimeras_join_parents_at_homologous_positions():
    a = INSERT_A
    b = list(a)
    for i in (20, 60, 100, 140):
        b[i] = "A" if b[i] != "A" else "C"
    del b[150]  # an indel after the breakpoint
    b = "".join(b)
    haps = {"A_a": hap("A_a", a), "B_b": hap("B_b", b)}
    rows = sim.aligned_pairs(haps, ["A_a", "B_b"])
    ra, rb = rows[("A_a", "B_b")]
    assert len(ra) == len(rb) and rows[("B_b", "A_a")] == (rb, ra)
    c = sim.chimera(a, b, 0.5, rows[("A_a", "B_b")])
    k = round(0.5 * len(ra))
    assert c == a[:k] + b[k:]  # no gap before the breakpoint: same positions
    assert sim.chimera(a, b, 0.5) == a[: round(0.5 * len(a))] + b[round(0.5 * len(b)) :]


def test_blank_holds_the_contaminant_and_samples_a_trace(tmp_path):
    params = sim.SimParams(contaminant_trace=0.01, errors=False)
    blank = design("blank", [("Sardinops_melanostictus", 1.0)], 300, kind="field_blank")
    counts, r1, r2 = simulate_one(tmp_path, blank, params)
    assert counts.contaminant == 0 and counts.chimeras == 0
    assert counts.per_species == {"Sardinops_melanostictus": counts.true}
    sample = design("s1", [("Alpha_one", 0.5), ("Beta_two", 0.5)], 5000)
    counts, r1, r2 = simulate_one(tmp_path, sample, params)
    assert 20 < counts.contaminant < 90
    assert classify_reads(read_pairs(r1, r2), {"Alpha_one", "Beta_two"})["contaminant"] == (
        counts.contaminant
    )


def test_same_seed_same_bytes_other_seed_other_reads(tmp_path):
    params = sim.SimParams()
    d = design("s1", [("Alpha_one", 0.7), ("Beta_two", 0.3)], 3000)
    outs = []
    for run, seed in (("a", 5), ("b", 5), ("c", 6)):
        (tmp_path / run).mkdir()
        _, r1, r2 = simulate_one(tmp_path / run, d, params, [("Gamma_three", 1.0)], seed=seed)
        outs.append((r1.read_bytes(), r2.read_bytes()))
    assert outs[0] == outs[1]
    assert outs[0][0] != outs[2][0]
    assert outs[0][0][:2] == b"\x1f\x8b" and outs[0][0][4:8] == bytes(4)  # gzip, no mtime


def test_generated_design_layout():
    pool = [f"Genus{i}_species" for i in range(40)]
    designs = sim.generate_design(pool, 100, 1_000_000, seed=3)
    assert len(designs) == 100
    assert sum(d.pairs for d in designs) == 1_000_000
    blanks = [d for d in designs if d.type == "field_blank"]
    assert len(blanks) == 4 and all(
        d.composition == ((sim.DEFAULT_CONTAMINANT, 1.0),) for d in blanks
    )
    assert {d.campaign for d in designs} == {"2025-spring", "2025-autumn"}
    assert len({d.sample for d in designs}) == 100
    field = [d for d in designs if d.type == "sample"]
    assert all(abs(sum(f for _, f in d.composition) - 1) < 1e-4 for d in field)
    # every taxon well above the detection limits (10 reads, 0.1 %)
    assert all(f * d.pairs >= 49.9 and f >= 0.005 for d in field for _, f in d.composition)
    refs = {d.site for d in field if d.site_role == "reference"}
    assert refs == {"AS-s01", "HI-s01"}
    again = sim.generate_design(pool, 100, 1_000_000, seed=3)
    assert again == designs
    tiny = sim.generate_design(pool, 4, 2000, seed=3)
    assert [d.type for d in tiny].count("field_blank") == 1 and len(tiny) == 4


def test_design_table(tmp_path):
    path = tmp_path / "design.tsv"
    rows = [
        ["basin", "site", "campaign", "replicate", "taxon", "relative_abundance", "type"],
        ["B", "up", "2025", "1", "Alpha_one", "3", ""],
        ["B", "up", "2025", "1", "Beta_two", "1", ""],
        ["B", "blank", "2025", "1", "", "", "field_blank"],
    ]
    path.write_text("".join("\t".join(r) + "\n" for r in rows))
    designs = sim.read_design(path, 1000, blank_fraction=0.1)
    assert [d.sample for d in designs] == ["up_2025_r1", "blank_2025"]
    assert designs[0].composition == (("Alpha_one", 0.75), ("Beta_two", 0.25))
    assert designs[1].pairs == 100 and designs[1].composition[0][0] == sim.DEFAULT_CONTAMINANT


def test_truth_tables_count_genera_like_the_report(tmp_path):
    haps = dict(HAPS)
    haps["Gamma_four"] = hap("Gamma_four", INSERT_B[::-1], family="Fc", order="Ob")
    d1 = design("s1", [("Alpha_one", 0.5), ("Gamma_three", 0.5)], 1000, site="S1")
    d2 = design("s2", [("Gamma_three", 0.5), ("Gamma_four", 0.5)], 1000, site="S2")
    d3 = design("s3", [("Beta_two", 0.99), ("Alpha_one", 0.01)], 1000, site="S2", rep=2)
    counts = {
        "s1": sim.SampleCounts(
            "s1", 1000, 1000, per_species={"Alpha_one": 500, "Gamma_three": 500}
        ),
        "s2": sim.SampleCounts(
            "s2", 1000, 1000, per_species={"Gamma_three": 480, "Gamma_four": 520}
        ),
        "s3": sim.SampleCounts("s3", 1000, 1000, per_species={"Beta_two": 990, "Alpha_one": 10}),
    }
    comp, tallies, sites, design_rows = sim.truth_tables([d1, d2, d3], haps, counts)
    assert [(r["sample"], r["taxon"], r["rank"]) for r in comp] == [
        ("s1", "Alpha_one", "species"),
        ("s1", "Gamma_sp", "genus"),
        ("s2", "Gamma_four", "species"),
        ("s2", "Gamma_sp", "genus"),
        ("s3", "Beta_two", "species"),
    ]
    # Gamma_sp counts as a species at S1 (no Gamma species there), not at S2
    assert [(r["site"], r["n_species"]) for r in sites] == [("S1", 2), ("S2", 2)]
    assert tallies == [
        {"basin": "B", "campaign": "c1", "n_orders": 2, "n_families": 3, "n_species": 3},
        {"basin": "B", "campaign": "ALL", "n_orders": 2, "n_families": 3, "n_species": 3},
    ]
    rare = [r for r in design_rows if r["sample"] == "s3" and r["species"] == "Alpha_one"]
    assert rare[0]["in_truth"] == "no" and rare[0]["simulated_reads"] == 10


def _rows(path):
    return list(csv.DictReader(path.read_text().splitlines(), delimiter="\t"))


def _header(path):
    with open(path) as fh:
        return next(csv.reader(fh, delimiter="\t"))


@needs_shared
@needs_vsearch
def test_command_line_set_is_deterministic_and_in_the_dev_layout(tmp_path):
    args = ["--samples", "4", "--pairs", "600", "--seed", "11"]
    assert sim.main([*args, "--out", str(tmp_path / "a"), "--threads", "1"]) == 0
    assert sim.main([*args, "--out", str(tmp_path / "b"), "--threads", "2"]) == 0
    a, b = tmp_path / "a", tmp_path / "b"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len([f for f in files if f.suffix == ".gz"]) == 8
    for rel in files:
        if rel.name == "config.yaml" or rel.parts[0] == "campaigns":
            continue  # they hold the absolute paths of the set
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    for name in ("samples.tsv", "truth_composition.tsv", "truth_tallies.tsv", "truth_sites.tsv"):
        assert _header(a / name) == _header(DEV / name), name
    sheet = next((a / "campaigns").glob("*.tsv"))
    assert _header(sheet) == [
        "sample",
        "basin",
        "site",
        "site_role",
        "replicate",
        "type",
        "fq1",
        "fq2",
    ]
    import yaml

    cfg = yaml.safe_load((a / "config.yaml").read_text())
    assert cfg["reference"]["fasta"] == str(REFERENCE / "MiFish_DB.fas")
    assert all(p.startswith(str(a)) for p in cfg["campaigns"].values())
    reads = _rows(a / "simulated_reads.tsv")
    assert sum(int(r["pairs"]) for r in reads) == 600
    assert all(r["fq1"].endswith("_L001_R1_001.fastq.gz") for r in _rows(a / "samples.tsv"))


@needs_shared
def test_shared_haplotypes_are_named_by_genus():
    records = sim.load_reference(REFERENCE / "MiFish_DB.fas", REFERENCE / "lineage.csv")
    chosen = sim.choose_haplotypes(records, ["Tridentiger_obscurus", "Oncorhynchus_mykiss"])
    if shutil.which("vsearch") is None:
        pytest.skip("vsearch not on PATH")
    placed, rejected = sim.place_haplotypes(chosen, records)
    assert (placed["Tridentiger_obscurus"].taxon, placed["Tridentiger_obscurus"].rank) == (
        "Tridentiger_sp",
        "genus",
    )
    assert (placed["Oncorhynchus_mykiss"].taxon, placed["Oncorhynchus_mykiss"].rank) == (
        "Oncorhynchus_mykiss",
        "species",
    )
    assert placed["Oncorhynchus_mykiss"].family == "Salmonidae"


@needs_shared
@needs_vsearch
def test_benchmark_command_tiny(tmp_path):
    """The benchmark end to end at a tiny size: a record, and the truth recovered."""
    results = tmp_path / "results"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run_benchmark.py"),
            "--pairs",
            "2000",
            "--samples",
            "4",
            "--no-example",
            "--no-noop",
            "--work",
            str(tmp_path / "work"),
            "--results-dir",
            str(results),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    table = (results / "benchmarks.md").read_text().splitlines()
    rows = [line for line in table if line.startswith("| 20")]
    assert len(rows) == 1 and "| 2,000 | 4 |" in rows[0] and "exact (1.000/1.000)" in rows[0]
    (record,) = results.glob("*-2000.json")
    rec = json.loads(record.read_text())
    assert rec["truth"]["exact"] and rec["truth"]["recall"] == 1.0
    assert rec["workflow"]["wall_s"] > 0 and rec["floor"]["wall_s"] > 0
    assert rec["rules"]["campaign_reads"]["jobs"] == 1  # the 4 samples: one campaign, one job
    for key in ("nproc", "memory_gb", "cpu"):
        assert rec["machine"][key]
    assert rec["versions"]["vsearch"][0].isdigit()
    assert not (tmp_path / "work" / "2000").exists()  # removed without --keep
