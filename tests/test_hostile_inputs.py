"""Hostile input: every bad setting, sheet or read file is refused when the workflow is
parsed (a dry run, nothing written), with the key or the sheet, line, column and mate, and
what to do. Each case has its own input."""

from __future__ import annotations

import bz2
import gzip
import os
import shutil

import pytest
import yaml

from conftest import (
    DEV,
    REFERENCE,
    ROOT,
    example_config,
    needs_shared,
    needs_vsearch,
    run_workflow,
    snakemake_cmd,
    write_sheet,
)

pytestmark = [needs_shared, needs_vsearch]

# the sheet rows of tests/test_bad_input.py (one field sample of the simulated set)
from test_bad_input import R1, R2, row  # noqa: E402

R1b = DEV / "reads" / "HY-mine_2025-spring_r2_S4_L001_R1_001.fastq.gz"
R2b = DEV / "reads" / "HY-mine_2025-spring_r2_S4_L001_R2_001.fastq.gz"


def sheet(tmp_path, *rows):
    return {"c1": str(write_sheet(tmp_path / "c1.tsv", list(rows)))}


def dry(tmp_path, config):
    proc = run_workflow(tmp_path, config, extra=["-n"], check=False)
    assert not (tmp_path / "results").exists()  # nothing ran, nothing written
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


def refused(tmp_path, config, *messages):
    rc, out = dry(tmp_path, config)
    assert rc != 0, out[-2000:]
    for message in messages:
        assert " ".join(message.split()) in out, (message, out[-3000:])
    assert "Traceback" not in out
    return out


def base(tmp_path, *rows):
    return example_config(
        sheet(tmp_path, *(rows or (row(), row("s2", replicate=2, fq1=str(R1b), fq2=str(R2b)))))
    )


# ---------------------------------------------------------------------------------------
# settings: relations and YAML's conversions


@pytest.mark.parametrize(
    "path, value, message",
    [
        (
            ("classify", "thresholds", "genus"),
            99.0,
            "classify.thresholds.species (98.5) is below classify.thresholds.genus (99.0)",
        ),
        (
            ("classify", "thresholds", "species"),
            101.0,
            "classify.thresholds.species is 101.0; an identity threshold is a percentage above "
            "0 and at most 100",
        ),
        (
            ("classify", "thresholds", "order"),
            -5.0,
            "classify.thresholds.order is -5.0; an identity threshold is a percentage",
        ),
        (
            ("filter", "min_length"),
            230,
            "filter.min_length (230) is above filter.max_length (220): no insert could be kept",
        ),
        (
            ("classify", "new_haplotypes", "min_identity"),
            99.0,
            "classify.new_haplotypes.min_identity (99.0) is above classify.thresholds.species "
            "(98.5)",
        ),
        (
            ("detection", "min_replicates"),
            3,
            "detection.min_replicates is 3 but no site has more than 2 field replicate(s) in a "
            "campaign: nothing could ever be detected; set it to 2 or less",
        ),
        (("output_dir",), "", "output_dir is empty; give a folder, e.g. results"),
        (("output_dir",), "/", "output_dir is '/', a filesystem root"),
    ],
    ids=[
        "genus-above-species",
        "threshold-over-100",
        "negative-threshold",
        "length-window-reversed",
        "new-haplotype-above-species",
        "replicate-rule-unmeetable",
        "output-dir-empty",
        "output-dir-root",
    ],
)
def test_settings_that_cannot_work(tmp_path, path, value, message):
    config = base(tmp_path)
    node = config
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    refused(tmp_path, config, "invalid configuration:", message)


def _write_yaml_text(tmp_path, text):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(text)
    cmd = [*snakemake_cmd(), "--snakefile", str(ROOT / "Snakefile"), "-d", str(tmp_path)]
    import subprocess

    proc = subprocess.run(
        [*cmd, "--configfile", str(cfg), "-n"], capture_output=True, text=True, cwd=ROOT
    )
    assert not (tmp_path / "results").exists()
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


@pytest.mark.parametrize(
    "name, kind", [("2025-05-20", "a date"), ("2025", "a number")], ids=["date", "number"]
)
def test_campaign_names_yaml_converts(tmp_path, name, kind):
    path = sheet(tmp_path, row())["c1"]
    text = (ROOT / "config" / "config.yaml").read_text()
    start = text.index("campaigns:")
    end = text.index("\n\n", start)
    text = text[:start] + f"campaigns:\n  {name}: {path}" + text[end:]
    rc, out = _write_yaml_text(tmp_path, text)
    assert rc != 0
    assert (
        f'campaigns: the name {name} was read by YAML as {kind}, not text; quote it: "{name}": '
        f"{path}" in out
    ), out[-2000:]


def test_unknown_top_level_keys_in_one_line(tmp_path):
    config = base(tmp_path)
    config["clasify"] = {"margin": 1}
    config["threads"] = 4
    out = refused(
        tmp_path,
        config,
        "unknown setting(s) 'clasify', 'threads' at the top of the config; the settings are:",
    )
    assert "additionalProperties" not in out  # no schema dump


# ---------------------------------------------------------------------------------------
# reference database files


def _reference(tmp_path, key, text):
    path = tmp_path / f"bad_{key}"
    path.write_text(text)
    config = base(tmp_path)
    config["reference"][key] = str(path)
    return config, path


def test_empty_reference_fasta(tmp_path):
    config, path = _reference(tmp_path, "fasta", "")
    refused(tmp_path, config, f"reference.fasta is empty: {path}")


def test_reference_fasta_that_is_not_fasta(tmp_path):
    config, path = _reference(tmp_path, "fasta", "genus,species\nSalvelinus,leucomaenis\n")
    refused(tmp_path, config, "reference.fasta, line 1: 'genus,species' is not a FASTA header")


def test_lineage_with_the_wrong_columns(tmp_path):
    config, path = _reference(tmp_path, "lineage", "genus,family,order\nZacco,Cyprinidae,X\n")
    refused(
        tmp_path,
        config,
        "reference.lineage, line 1: the column(s) genus_name, family_name, order_name are "
        "missing (found genus, family, order)",
    )


# ---------------------------------------------------------------------------------------
# read files


def test_same_fastq_pair_for_two_samples(tmp_path):
    config = base(tmp_path, row(), row("s2", replicate=2))
    refused(
        tmp_path,
        config,
        "line 3, column 'fq1' (R1 of sample 's2'): the same file as sample 's1' uses (line 2)",
        "a copy-paste slip? each sample has its own FASTQ pair",
    )


def test_r1_and_r2_with_the_same_content(tmp_path):
    copy = tmp_path / "copy_R2.fastq.gz"
    shutil.copy(R1, copy)
    config = base(tmp_path, row(fq2=str(copy)))
    refused(tmp_path, config, "fq1 (R1) and fq2 (R2) of sample 's1' hold the same reads")


def _fastq_variant(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_phred64_qualities(tmp_path):
    lines = gzip.decompress(R1.read_bytes()).decode().split("\n")[:400]
    for i in range(3, len(lines), 4):
        lines[i] = "".join(chr(min(ord(c) + 31, 104)) for c in lines[i])
    path = _fastq_variant(tmp_path, "p64_R1.fastq.gz", gzip.compress("\n".join(lines).encode()))
    config = base(tmp_path, row(fq1=str(path)))
    refused(
        tmp_path,
        config,
        "column 'fq1': the file of sample 's1' (R1) has Phred+64 base qualities",
        "seqtk seq -Q64 -V",
    )


def test_bzip2_reads(tmp_path):
    path = _fastq_variant(
        tmp_path, "r_R2.fastq.bz2", bz2.compress(gzip.decompress(R2.read_bytes()))
    )
    config = base(tmp_path, row(fq2=str(path)))
    refused(tmp_path, config, "(R2) is bzip2-compressed; the workflow reads gzip or plain FASTQ")


def test_zstd_reads(tmp_path):
    path = _fastq_variant(tmp_path, "r_R1.fastq.zst", b"\x28\xb5\x2f\xfd" + b"\0" * 64)
    config = base(tmp_path, row(fq1=str(path)))
    refused(tmp_path, config, "(R1) is zstd-compressed", "zstd -dc 'r_R1.fastq.zst' | gzip >")


def test_plain_file_named_gz(tmp_path):
    path = _fastq_variant(tmp_path, "plain_R1.fastq.gz", gzip.decompress(R1.read_bytes()))
    config = base(tmp_path, row(fq1=str(path)))
    refused(tmp_path, config, "(R1) is named .gz but is not gzip-compressed")


def test_folder_given_as_fastq(tmp_path):
    folder = tmp_path / "reads_folder"
    folder.mkdir()
    config = base(tmp_path, row(fq2=str(folder)))
    refused(
        tmp_path,
        config,
        "column 'fq2' (R2 of sample 's1'): a folder, not a FASTQ file",
    )


def test_symlink_loop_given_as_fastq(tmp_path):
    loop = tmp_path / "loop_R1.fastq.gz"
    os.symlink(loop, loop)
    config = base(tmp_path, row(fq1=str(loop)))
    refused(tmp_path, config, "(R1 of sample 's1'): a symbolic link that points to itself")


# ---------------------------------------------------------------------------------------
# sheets


def test_japanese_excel_export_in_shift_jis(tmp_path):
    path = tmp_path / "c1.tsv"
    text = "sample\tbasin\tsite\treplicate\ttype\tfq1\tfq2\n"
    text += f"s1\t早瀬川\t上流\t1\tsample\t{R1}\t{R2}\n"
    path.write_bytes(text.encode("cp932"))
    config = example_config({"c1": str(path)})
    refused(
        tmp_path,
        config,
        "it reads as Shift-JIS (cp932), the encoding Japanese Excel uses",
        "iconv -f CP932 -t UTF-8 'c1.tsv' > utf8.tsv",
    )


def test_utf8_with_bom_is_read(tmp_path):
    path = tmp_path / "c1.tsv"
    text = "sample\tbasin\tsite\treplicate\ttype\tfq1\tfq2\n"
    text += f"s1\t早瀬川\t上流\t1\tsample\t{R1}\t{R2}\n"
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    rc, out = dry(tmp_path, example_config({"c1": str(path)}))
    assert rc == 0, out[-2000:]


def test_replicate_used_twice_at_a_site(tmp_path):
    config = base(tmp_path, row(), row("s2", fq1=str(R1b), fq2=str(R2b)))
    refused(
        tmp_path,
        config,
        "sample 's2' has the same site (HY-mine), replicate (1) and pcr_replicate (1) as 's1'",
    )


def test_date_that_does_not_exist(tmp_path):
    config = base(tmp_path, row(date="2025-02-30"))
    refused(
        tmp_path,
        config,
        "line 2, column 'date': '2025-02-30' is not a date of the calendar; write YYYY-MM-DD",
    )


def test_latitude_out_of_range(tmp_path):
    config = base(tmp_path, row(latitude="95.2", longitude="139.1"))
    refused(tmp_path, config, "line 2, column 'latitude': 95.2 is greater than the maximum of 90")


@pytest.mark.parametrize("name", ['=HYPERLINK("x")', "+81", "@SUM(A1)", "-1"])
def test_names_a_spreadsheet_would_run(tmp_path, name):
    config = base(tmp_path, row(site=name))
    refused(
        tmp_path,
        config,
        f"column 'site': {name!r} starts with {name[0]!r}, which a spreadsheet opens as a formula",
    )


def test_reference_inputs_shipped_are_accepted(tmp_path):
    """The shipped reference passes the first-line checks (the cases above are not
    refusing everything)."""
    assert (REFERENCE / "MiFish_DB.fas").is_file()
    rc, out = dry(tmp_path, base(tmp_path))
    assert rc == 0, out[-2000:]
    assert yaml.safe_load((tmp_path / "config.yaml").read_text())["campaigns"]
