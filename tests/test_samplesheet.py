"""./run sheet: a sample-sheet template from a folder of paired FASTQ files."""

from __future__ import annotations

import os

import pytest

from conftest import DEV, ROOT, example_config, needs_shared, run_workflow
from riverfish import samplesheet
from riverfish.errors import InputError

PATTERN = r"^(?P<site>[A-Za-z0-9]+)-rep(?P<replicate>\d+)$"


def _folder(tmp_path, names):
    """A MiSeq-like output folder: dev-set reads under Illumina names of one's own."""
    folder = tmp_path / "Fastq"
    folder.mkdir()
    sources = sorted((DEV / "reads").glob("HY-*_2025-spring_r*_R1_001.fastq.gz"))
    for i, (name, src) in enumerate(zip(names, sources, strict=False), start=1):
        for mate in ("R1", "R2"):
            target = folder / f"{name}_S{i}_L001_{mate}_001.fastq.gz"
            os.symlink(str(src).replace("_R1_001", f"_{mate}_001"), target)
    return folder


@needs_shared
def test_the_sheet_of_a_miseq_folder(tmp_path):
    folder = _folder(tmp_path, ["Up-rep1", "Up-rep2", "Mine-rep1", "Mine-rep2", "Blank1"])
    (folder / "Undetermined_S0_L001_I1_001.fastq.gz").write_bytes(b"")  # an index read
    out = tmp_path / "c1.tsv"
    assert (
        samplesheet.main(
            [str(folder), "--pattern", PATTERN, "--basin", "Miyata", "--out", str(out)]
        )
        == 0
    )
    f = str(folder)
    assert out.read_text() == (
        "sample\tbasin\tsite\tsite_role\treplicate\ttype\tfq1\tfq2\n"
        f"Blank1\tMiyata\t\t\t\t\t{f}/Blank1_S5_L001_R1_001.fastq.gz\t{f}/Blank1_S5_L001_R2_001.fastq.gz\n"
        f"Mine-rep1\tMiyata\tMine\t\t1\t\t{f}/Mine-rep1_S3_L001_R1_001.fastq.gz\t{f}/Mine-rep1_S3_L001_R2_001.fastq.gz\n"
        f"Mine-rep2\tMiyata\tMine\t\t2\t\t{f}/Mine-rep2_S4_L001_R1_001.fastq.gz\t{f}/Mine-rep2_S4_L001_R2_001.fastq.gz\n"
        f"Up-rep1\tMiyata\tUp\t\t1\t\t{f}/Up-rep1_S1_L001_R1_001.fastq.gz\t{f}/Up-rep1_S1_L001_R2_001.fastq.gz\n"
        f"Up-rep2\tMiyata\tUp\t\t2\t\t{f}/Up-rep2_S2_L001_R1_001.fastq.gz\t{f}/Up-rep2_S2_L001_R2_001.fastq.gz\n"
    )
    # an existing sheet is never overwritten
    assert samplesheet.main([str(folder), "--out", str(out)]) == 1


@needs_shared
def test_a_completed_template_passes_the_sheet_checks(tmp_path):
    folder = _folder(tmp_path, ["Up-rep1", "Up-rep2"])
    rows = samplesheet.sheet_rows(folder, PATTERN, "Miyata", root=ROOT)
    for r in rows:
        r["type"] = "sample"
    sheet = tmp_path / "c1.tsv"
    sheet.write_text(samplesheet.to_tsv(rows))
    proc = run_workflow(tmp_path, example_config({"c1": str(sheet)}), extra=["-n"], check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-2000:]


def test_mates_without_partners_and_lanes_are_named(tmp_path):
    folder = tmp_path / "reads"
    folder.mkdir()
    for name in (
        "A-rep1_S1_L001_R1_001.fastq.gz",
        "B-rep1_S2_L001_R1_001.fastq.gz",
        "B-rep1_S2_L001_R2_001.fastq.gz",
        "B-rep1_S2_L002_R1_001.fastq.gz",
        "B-rep1_S2_L002_R2_001.fastq.gz",
    ):
        (folder / name).write_bytes(b"")
    with pytest.raises(InputError) as err:
        samplesheet.pairs(folder)
    text = str(err.value)
    assert "sample A-rep1: A-rep1_S1_L001_R1_001.fastq.gz has no R2 beside it" in text
    assert "sample B-rep1 was sequenced on several lanes (001, 002)" in text
    with pytest.raises(InputError, match="may name are basin, site, site_role, replicate, type"):
        samplesheet.sheet_rows(folder, r"(?P<station>\w+)")


def test_other_mate_names():
    assert samplesheet.parse_name("X_S3_L001_R2_001.fastq.gz") == ("X", "001", "2")
    assert samplesheet.parse_name("X_R1.fq.gz") == ("X", "", "1")
    assert samplesheet.parse_name("X_2.fastq") == ("X", "", "2")
    assert samplesheet.parse_name("X_S3_L001_I1_001.fastq.gz") is None
