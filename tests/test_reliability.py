"""Reliability: interrupted runs, new campaigns, reproducible results, nothing to redo,
hostile input, missing tools and a full disk. Each test would fail without the property."""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import (
    DEV,
    ROOT,
    dev_sheets,
    example_config,
    needs_shared,
    needs_vsearch,
    run_workflow,
    snakemake_cmd,
    write_sheet,
)

pytestmark = [needs_shared, needs_vsearch]

SMALL = {
    "HY-up_2025-spring_r1",
    "HY-mine_2025-spring_r1",
    "Hayase-blank_2025-spring",
    "HY-up_2025-autumn_r1",
    "HY-mine_2025-autumn_r1",
    "Hayase-blank_2025-autumn",
}
R1 = DEV / "reads" / "HY-mine_2025-spring_r1_S3_L001_R1_001.fastq.gz"
R2 = DEV / "reads" / "HY-mine_2025-spring_r1_S3_L001_R2_001.fastq.gz"


def small_config(dest: Path, campaigns=("2025-spring", "2025-autumn")) -> dict:
    sheets = dev_sheets(dest / "sheets", keep=lambda r: r["sample"] in SMALL)
    return example_config({c: sheets[c] for c in campaigns})


def result_digests(results: Path) -> dict[str, str]:
    """MD5 of every table and sequence file of a run (not logs, benchmarks, images)."""
    out = {}
    for path in sorted(results.rglob("*")):
        rel = path.relative_to(results).as_posix()
        if path.is_file() and path.suffix in {".tsv", ".fasta", ".json"}:
            if rel.startswith(("logs/", "benchmarks/", "cache/")):
                continue
            if rel == "qc/provenance.tsv":  # holds the config, whose sheet paths differ
                continue
            out[rel] = hashlib.md5(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def small_reference(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    work = tmp_path_factory.mktemp("small_reference")
    run_workflow(work, small_config(work))
    return work, result_digests(work / "results")


def test_reproducible_byte_identical(small_reference, tmp_path):
    """Two runs of the same input and config give byte-identical tables."""
    _, expected = small_reference
    run_workflow(tmp_path, small_config(tmp_path))
    got = result_digests(tmp_path / "results")
    assert "tallies/basin_campaign.tsv" in got and len(got) >= 30
    assert got == expected


def test_nothing_to_do_when_nothing_changed(small_reference):
    work, _ = small_reference
    proc = run_workflow(work, yaml.safe_load((work / "config.yaml").read_text()), extra=["-n"])
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_provenance_records_versions_checksum_config(small_reference):
    work, _ = small_reference
    rows = dict(
        line.split("\t", 1)
        for line in (work / "results" / "qc" / "provenance.tsv").read_text().splitlines()[1:]
    )
    assert rows["vsearch"].startswith("2.") and rows["cutadapt"]
    assert len(rows["reference_database_sha256"]) == 16
    assert '"min_size"' in rows["config"].replace('""', '"')


def _job_counts(output: str) -> dict[str, int]:
    """Rule -> job count from Snakemake's 'Job stats' table of a dry run."""
    counts, in_table = {}, False
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("job ") and "count" in line:
            in_table = True
            continue
        if in_table:
            if len(parts) == 2 and parts[1].isdigit():
                if parts[0] == "total":
                    break
                counts[parts[0]] = int(parts[1])
    return counts


def test_adding_a_campaign_keeps_earlier_results(tmp_path):
    spring = small_config(tmp_path, campaigns=("2025-spring",))
    run_workflow(tmp_path, spring)
    res = tmp_path / "results"
    before = {
        p: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in (res / "campaigns" / "2025-spring").rglob("*")
        if p.is_file()
    }
    spring_tax = (res / "taxonomy" / "asv_taxonomy.tsv").read_text().splitlines()
    spring_tally = (res / "tallies" / "basin_campaign.tsv").read_text().splitlines()
    n_spring_asvs = len(spring_tax) - 1

    both = small_config(tmp_path)
    dry = run_workflow(tmp_path, both, extra=["-n"])
    jobs = _job_counts(dry.stdout + dry.stderr)
    assert jobs["campaign_reads"] == 1  # only the new campaign's reads
    assert jobs["campaign_asvs"] == 1
    run_workflow(tmp_path, both)

    after = {
        p: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in (res / "campaigns" / "2025-spring").rglob("*")
        if p.is_file()
    }
    assert after == before  # same bytes, not even rewritten
    tax = (res / "taxonomy" / "asv_taxonomy.tsv").read_text().splitlines()
    assert set(spring_tax) <= set(tax)
    log = (res / "logs" / "classify.log").read_text()
    assert f"{n_spring_asvs} ASV(s) from the cache, {len(tax) - 1 - n_spring_asvs} searched" in log
    tally = (res / "tallies" / "basin_campaign.tsv").read_text().splitlines()
    assert spring_tally[1] in tally


def _start(work: Path, config: dict) -> subprocess.Popen:
    work.mkdir(parents=True, exist_ok=True)
    (work / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [
        *snakemake_cmd(),
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(work / "config.yaml"),
        "--cores",
        "2",
    ]
    return subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("stage", ["reads", "pooled"])
def test_interrupted_run_completes_identically(small_reference, tmp_path, sig, stage):
    _, expected = small_reference
    config = small_config(tmp_path)
    res = tmp_path / "results"
    if stage == "reads":
        trigger = res / "logs" / "campaign_reads" / "2025-spring.log"
    else:
        trigger = res / "logs" / "campaign_asvs" / "2025-autumn.log"
    proc = _start(tmp_path, config)
    deadline = time.time() + 120
    while not trigger.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, sig)
    proc.wait(timeout=60)
    if sig == signal.SIGKILL:
        time.sleep(0.5)  # let orphaned tools die with their pipes
    assert not (res / "tallies" / "basin_campaign.tsv").exists()
    # after a hard kill the lock stays: the documented way on is --unlock, then run again
    run_workflow(tmp_path, config, extra=["--unlock"])
    run_workflow(tmp_path, config)
    assert result_digests(res) == expected
    assert not [p for p in res.rglob(".*") if "tmp" in p.name or "denoise" in p.name]


# --- hostile and broken input ----------------------------------------------------------


def _row(sample="s1", **kw):
    row = {
        "sample": sample,
        "basin": "Hayase",
        "site": "HY-mine",
        "replicate": 1,
        "type": "sample",
        "fq1": str(R1),
        "fq2": str(R2),
    }
    row.update(kw)
    return row


def _dry(tmp_path, campaigns, config=None):
    config = config or example_config(campaigns)
    proc = run_workflow(tmp_path, config, extra=["-n"], check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_path_traversal_is_not_fastq(tmp_path):
    sheet = write_sheet(tmp_path / "c1.tsv", [_row(fq1="../../../../../../etc/passwd")])
    rc, out = _dry(tmp_path, {"c1": str(sheet)})
    assert rc != 0
    assert "column 'fq1': the file of sample 's1' (R1) is not FASTQ: it starts with 'root:" in out


def test_fasta_instead_of_fastq_and_zero_byte_gzip(tmp_path):
    fasta = tmp_path / "reads_R1.fastq.gz"
    with gzip.open(fasta, "wt") as fh:
        fh.write(">r1\nACGT\n")
    empty = tmp_path / "reads_R2.fastq.gz"
    empty.write_bytes(b"")
    sheet = write_sheet(tmp_path / "c1.tsv", [_row(fq1=str(fasta), fq2=str(empty))])
    rc, out = _dry(tmp_path, {"c1": str(sheet)})
    assert rc != 0
    assert "column 'fq1': the file of sample 's1' (R1) is FASTA (no base qualities)" in out
    assert "column 'fq2': the file of sample 's1' (R2) is empty (0 bytes)" in out


def _rewrite(src: Path, dest: Path, transform) -> Path:
    with gzip.open(src, "rt") as fin, gzip.open(dest, "wt", newline="") as fout:
        lines = fin.read().splitlines()
        fout.write(transform(lines))
    return dest


def _uniques(res: Path, campaign: str, sample: str) -> list[str]:
    """A sample's distinct reads (reads, sequence), most abundant first."""
    lines = (res / "campaigns" / campaign / "reads" / "uniques.tsv").read_text().splitlines()
    return [line.split("\t", 1)[1] for line in lines[1:] if line.split("\t", 1)[0] == sample]


def test_metacharacters_crlf_lowercase_and_swapped_mates(tmp_path):
    """Shell metacharacters in paths and fields are data, never commands; CRLF line ends,
    lower-case bases give the same reads as the original files; swapped R1/R2 the same ASVs."""
    odd = tmp_path / "odd $(touch PWNED) ; `touch PWNED2` 'q' \"d\" & |"
    odd.mkdir()
    m1, m2 = odd / "a b;$(id)_R1.fastq.gz", odd / "a b;$(id)_R2.fastq.gz"
    m1.write_bytes(R1.read_bytes())
    m2.write_bytes(R2.read_bytes())
    crlf = [
        _rewrite(R1, tmp_path / "crlf_R1.fastq.gz", lambda ls: "\r\n".join(ls) + "\r\n"),
        _rewrite(R2, tmp_path / "crlf_R2.fastq.gz", lambda ls: "\r\n".join(ls) + "\r\n"),
    ]

    def lower(lines):
        return "\n".join(s.lower() if i % 4 == 1 else s for i, s in enumerate(lines)) + "\n"

    lc = [
        _rewrite(R1, tmp_path / "lc_R1.fastq.gz", lower),
        _rewrite(R2, tmp_path / "lc_R2.fastq.gz", lower),
    ]
    # R2 given as fq1 and R1 as fq2 (copies: one file in two samples is refused as a slip)
    swapped = (tmp_path / "swapped_R1.fastq.gz", tmp_path / "swapped_R2.fastq.gz")
    swapped[0].write_bytes(R2.read_bytes())
    swapped[1].write_bytes(R1.read_bytes())
    rows = [
        _row("plain"),
        _row(
            "meta",
            basin="Hay$(touch PWNED3)ase;`id`",
            site="site 'x' & \"y\"",
            fq1=str(m1),
            fq2=str(m2),
            notes="$(rm -rf /) ; | &",
        ),
        # other water samples of the same site (one water sample, one PCR: one row)
        _row("crlf", replicate=2, fq1=str(crlf[0]), fq2=str(crlf[1])),
        _row("lower", replicate=3, fq1=str(lc[0]), fq2=str(lc[1])),
        _row("swapped", replicate=4, fq1=str(swapped[0]), fq2=str(swapped[1])),
    ]
    sheet = write_sheet(tmp_path / "c1.tsv", rows)
    run_workflow(tmp_path, example_config({"c1": str(sheet)}))
    for name in ("PWNED", "PWNED2", "PWNED3"):
        assert not list(tmp_path.rglob(name)) and not (ROOT / name).exists()
    res = tmp_path / "results"
    plain = _uniques(res, "c1", "plain")
    assert len(plain) > 100
    for sample in ("meta", "crlf", "lower"):
        assert _uniques(res, "c1", sample) == plain, sample
    # swapped mates: the merged reads are reoriented; only where the two mates disagree
    # can merging pick the other base, so the ASVs are the same with near-equal counts
    counts = pd.read_csv(res / "asv" / "asv_counts.tsv", sep="\t")
    plain_c = counts[counts["sample"] == "plain"].set_index("asv_id")["reads"]
    swapped_c = counts[counts["sample"] == "swapped"].set_index("asv_id")["reads"]
    assert set(swapped_c.index) == set(plain_c.index)
    diff = (swapped_c - plain_c.reindex(swapped_c.index)).abs()
    assert (diff <= (0.01 * plain_c.reindex(swapped_c.index)).clip(lower=3)).all(), diff
    tallies = (res / "tallies" / "basin_campaign.tsv").read_text()
    assert "Hay$(touch PWNED3)ase;`id`" in tallies


def test_config_unknown_key_and_wrong_type(tmp_path):
    config = example_config({"c1": str(write_sheet(tmp_path / "c1.tsv", [_row()]))})
    config["denoise"]["minsize"] = 4
    rc, out = _dry(tmp_path, None, config)
    assert rc != 0
    assert "Additional properties are not allowed ('minsize' was unexpected)" in out
    config["denoise"].pop("minsize")
    config["filter"]["max_expected_errors"] = "one"
    rc, out = _dry(tmp_path, None, config)
    assert rc != 0 and "'one' is not of type 'number'" in out


# --- tools and disk ----------------------------------------------------------------------


def _env_with(path_dirs):
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(path_dirs)
    return env


def test_vsearch_missing_or_too_old(tmp_path):
    import shutil
    import sys

    sheet = write_sheet(tmp_path / "c1.tsv", [_row()])
    config = example_config({"c1": str(sheet)})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    cutadapt = Path(shutil.which("cutadapt") or Path(sys.executable).parent / "cutadapt")
    # a stand-in for /usr/bin and /bin with everything but vsearch
    hidden = tmp_path / "bin"
    hidden.mkdir()
    for d in ("/usr/bin", "/bin"):
        for tool in Path(d).iterdir():
            if tool.name != "vsearch" and not (hidden / tool.name).exists():
                (hidden / tool.name).symlink_to(tool)
    base = [str(Path(sys.executable).parent), str(cutadapt.parent)]
    cmd = [
        *snakemake_cmd(),
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--configfile",
        str(tmp_path / "config.yaml"),
        "-n",
    ]
    # no vsearch anywhere on PATH (a stand-in folder without it)
    env = _env_with([*base, str(hidden)])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "vsearch is not installed" in out and "Needed: vsearch >= 2.22.0" in out
    # an old vsearch
    fake = tmp_path / "old" / "vsearch"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'vsearch v2.10.4_linux_x86_64, 1.0GB RAM, 2 cores' >&2\n")
    fake.chmod(0o755)
    env = _env_with([str(fake.parent), *base, str(hidden)])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"vsearch 2.10.4 found at {fake}, but vsearch >= 2.22.0 is needed" in out


def test_disk_full_leaves_no_partial_result(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mount.stderr.strip()}")
    try:
        sheet = write_sheet(tmp_path / "c1.tsv", [_row()])
        proc = run_workflow(disk, example_config({"c1": str(sheet)}), check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0
        logs = "".join(
            p.read_text(errors="replace") for p in (disk / "results" / "logs").rglob("*.log")
        )
        assert "No space left on device" in out + logs
        res = disk / "results"
        for name in ("uniques.tsv", "stats.tsv"):
            assert not list(res.rglob(name)), "an output of the failed job survived"
        assert not (res / "asv" / "asv_counts.tsv").exists()
        assert not list(res.rglob(".*.tmp"))
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
