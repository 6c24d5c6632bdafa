"""Per-sample read processing: check pairs, merge, trim primers, filter, dereplicate.

One process per sample chains the tools (vsearch, cutadapt), because on small samples
process start-up dominates. Only the standard library and dnaio are imported here, so the
job starts fast. Run as ``python -m riverfish.reads --help``.

The numbers of read tracking are counted from what each step wrote, not parsed from the
tools' messages, and checked against each other.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from riverfish.errors import InputError, RiverfishError, ToolError
from riverfish.primers import linked_adapters
from riverfish.tools import find_tool, tool_version


@dataclass(frozen=True)
class ReadParams:
    """Science settings of the per-sample steps (see config/config.yaml)."""

    forward: str
    reverse: str
    random_prefix_max: int = 6
    max_error_rate: float = 0.1
    both_orientations: bool = True
    indels: bool = False
    min_overlap: int = 10
    max_diffs: int = 10
    min_length: int = 130
    max_length: int = 220
    max_expected_errors: float = 1.0


@dataclass
class SampleStats:
    """Reads left after each step of one sample (the read-tracking columns)."""

    sample: str
    raw_pairs: int = 0
    merged: int = 0
    primer_trimmed: int = 0
    length_ok: int = 0
    quality_ok: int = 0
    uniques: int = 0


def count_pairs(r1: str, r2: str) -> int:
    """Count read pairs, checking that R1 and R2 belong together.

    Raises InputError when the files hold different numbers of reads, when the names of
    mates differ, when a gzip file is truncated, or when the content is not FASTQ.
    """
    import dnaio

    n = 0
    try:
        with dnaio.open(r1, file2=r2, mode="r") as reader:
            if getattr(reader, "delivers_qualities", True) is False:
                raise InputError(
                    "the read files are FASTA (no base qualities), FASTQ is expected",
                    path=r1,
                    hint="give the instrument's FASTQ files (R1 and R2)",
                )
            for _ in reader:
                n += 1
    except dnaio.FileFormatError as exc:
        raise InputError(
            f"R1/R2 do not form valid FASTQ pairs after {n} pairs: {exc}",
            path=f"{r1} + {r2}",
            hint="check that fq1 and fq2 of the sheet are the two files of the same sample "
            "and that neither was cut short in a transfer",
        ) from None
    except (EOFError, OSError) as exc:
        raise InputError(
            f"the read files could not be read to the end after {n} pairs ({exc})",
            path=f"{r1} + {r2}",
            hint="a truncated or corrupt gzip file: copy it again from the sequencer output",
        ) from None
    return n


def _run(cmd: list[str], log, what: str) -> None:
    """Run a tool, sending its messages to the log; raise ToolError on failure."""
    log.write("$ " + " ".join(cmd) + "\n")
    log.flush()
    proc = subprocess.run(cmd, stdout=log, stderr=log, check=False)
    if proc.returncode != 0:
        raise ToolError(
            f"{what} failed (exit status {proc.returncode}); its messages are in the log above"
        )


def count_fastq(path: Path) -> int:
    """Number of records in a plain FASTQ file written by a tool (4 lines a record)."""
    lines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
    if lines % 4:
        raise ToolError(f"{path}: {lines} lines is not a whole number of FASTQ records")
    return lines // 4


def sum_sizes(path: Path) -> tuple[int, int]:
    """(number of records, sum of ;size=N annotations) of a dereplicated FASTA file."""
    records = total = 0
    with open(path) as fh:
        for line in fh:
            if line.startswith(">"):
                records += 1
                for part in line.strip().split(";"):
                    if part.startswith("size="):
                        total += int(part[5:])
                        break
                else:
                    raise ToolError(f"{path}: header without ;size= annotation: {line.strip()}")
    return records, total


def process_sample(
    sample: str,
    r1: str,
    r2: str,
    params: ReadParams,
    uniques_out: Path,
    stats_out: Path,
    log,
    threads: int = 1,
    vsearch: str | None = None,
    cutadapt: str | None = None,
) -> SampleStats:
    """Turn one sample's read pairs into dereplicated, primer-free, quality-filtered reads.

    Writes ``uniques_out`` (FASTA, ``>sha1;size=N``, most abundant first) and ``stats_out``
    (JSON with the read-tracking numbers). Both appear only when everything succeeded.
    A sample left with no reads is a valid result (an empty FASTA and zeros).
    """
    vsearch = vsearch or tool_version("vsearch")[0]
    cutadapt = cutadapt or find_tool("cutadapt")
    stats = SampleStats(sample=sample)
    stats.raw_pairs = count_pairs(r1, r2)
    uniques_out = Path(uniques_out)
    stats_out = Path(stats_out)
    uniques_out.parent.mkdir(parents=True, exist_ok=True)
    # a job of this sample killed hard (kill -9, power loss) left its work folder behind
    for stale in uniques_out.parent.glob(f".{sample}.tmp????????"):
        shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f".{sample}.tmp", dir=uniques_out.parent) as tmp:
        tmpdir = Path(tmp)
        merged = tmpdir / "merged.fastq"
        trimmed = tmpdir / "trimmed.fastq"
        sized = tmpdir / "length_ok.fastq"
        good = tmpdir / "quality_ok.fasta"
        uniq = tmpdir / "uniques.fasta"
        report = tmpdir / "cutadapt.json"
        _run(
            [
                vsearch,
                "--fastq_mergepairs",
                r1,
                "--reverse",
                r2,
                "--fastq_minovlen",
                str(params.min_overlap),
                "--fastq_maxdiffs",
                str(params.max_diffs),
                "--fastqout",
                str(merged),
                "--threads",
                str(threads),
                "--no_progress",
            ],
            log,
            "vsearch --fastq_mergepairs",
        )
        stats.merged = count_fastq(merged)
        cut = [cutadapt]
        for spec in linked_adapters(
            params.forward, params.reverse, params.random_prefix_max, params.indels
        ):
            cut += ["-g", spec]
        cut += ["-e", str(params.max_error_rate), "--discard-untrimmed"]
        if params.both_orientations:
            cut.append("--revcomp")
        cut += ["--json", str(report), "-j", str(threads), "-o", str(trimmed), str(merged)]
        _run(cut, log, "cutadapt (primer trimming)")
        with open(report) as fh:
            cut_counts = json.load(fh)["read_counts"]
        stats.primer_trimmed = count_fastq(trimmed)
        if cut_counts["output"] != stats.primer_trimmed or cut_counts["input"] != stats.merged:
            raise ToolError(
                f"cutadapt reported {cut_counts['input']} reads in and {cut_counts['output']} "
                f"out, but {stats.merged} were given and {stats.primer_trimmed} written"
            )
        _run(
            [
                vsearch,
                "--fastq_filter",
                str(trimmed),
                "--fastq_minlen",
                str(params.min_length),
                "--fastq_maxlen",
                str(params.max_length),
                "--fastqout",
                str(sized),
                "--no_progress",
            ],
            log,
            "vsearch --fastq_filter (length window)",
        )
        stats.length_ok = count_fastq(sized)
        _run(
            [
                vsearch,
                "--fastq_filter",
                str(sized),
                "--fastq_maxee",
                str(params.max_expected_errors),
                "--fasta_width",
                "0",
                "--fastaout",
                str(good),
                "--no_progress",
            ],
            log,
            "vsearch --fastq_filter (expected errors)",
        )
        if good.stat().st_size > 0:
            _run(
                [
                    vsearch,
                    "--derep_fulllength",
                    str(good),
                    "--strand",
                    "plus",
                    "--sizeout",
                    "--relabel_sha1",
                    "--fasta_width",
                    "0",
                    "--output",
                    str(uniq),
                    "--no_progress",
                ],
                log,
                "vsearch --derep_fulllength",
            )
            stats.uniques, stats.quality_ok = sum_sizes(uniq)
        else:
            uniq.touch()
        for earlier, later, name in [
            (stats.raw_pairs, stats.merged, "merged"),
            (stats.merged, stats.primer_trimmed, "primer_trimmed"),
            (stats.primer_trimmed, stats.length_ok, "length_ok"),
            (stats.length_ok, stats.quality_ok, "quality_ok"),
        ]:
            if later > earlier:
                raise ToolError(f"read tracking went up at '{name}': {earlier} -> {later}")
        tmp_stats = tmpdir / "stats.json"
        tmp_stats.write_text(json.dumps(asdict(stats), indent=1) + "\n")
        os.replace(uniq, uniques_out)
        os.replace(tmp_stats, stats_out)
    log.write(f"read tracking: {json.dumps(asdict(stats))}\n")
    return stats


def main(argv: list[str] | None = None) -> int:
    """Command line of one sample's job (used by the workflow's rule sample_reads)."""
    ap = argparse.ArgumentParser(
        prog="python -m riverfish.reads", description=process_sample.__doc__
    )
    ap.add_argument("--sample", required=True)
    ap.add_argument("--r1", required=True)
    ap.add_argument("--r2", required=True)
    ap.add_argument("--uniques", required=True, type=Path)
    ap.add_argument("--stats", required=True, type=Path)
    ap.add_argument("--params", required=True, help="JSON object of ReadParams fields")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    try:
        params = ReadParams(**json.loads(args.params))
        process_sample(
            args.sample,
            args.r1,
            args.r2,
            params,
            args.uniques,
            args.stats,
            sys.stderr,
            threads=args.threads,
        )
    except RiverfishError as exc:
        print(f"error in sample '{args.sample}': {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
