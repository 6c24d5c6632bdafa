"""Per-campaign read processing: check pairs, merge, trim primers, filter, dereplicate.

One job per campaign takes every sample's read pairs to dereplicated, primer-free,
quality-filtered reads. The samples are worked on in parallel (one worker process per
thread), and the tools that are slow to start run once per campaign, not once per sample:

1. per sample: dnaio checks the pairs (count, mate names, truncated gzip); vsearch merges
   them; a read whose primers are found *exactly* (random prefix of 0..N bases, forward
   primer, insert, reverse complement of the reverse primer, either orientation) is trimmed
   right away, kept if its length is in the window and its expected errors within the
   limit (:class:`ReadFilter`, vsearch's arithmetic), and counted; every other read is set
   aside;
2. per campaign: one cutadapt process trims the set-aside reads of all samples (anchored
   linked adapters, errors allowed), fed while the samples are still being merged, so
   reads with primer errors are judged by cutadapt;
3. per sample: cutadapt's reads go through the same filter and are added to the counts.

Step 1's exact match gives the same trimmed read as cutadapt would (an exact occurrence is
the best match cutadapt can find); it only spares cutadapt the ~97 % of reads that need no
alignment. ``exact_shortcut=False`` sends every read through cutadapt, and the tests check
that both give the same reads on a real MiSeq run.

The numbers of read tracking are counted as the reads pass each step, not parsed from the
tools' messages, and checked against each other and against cutadapt's report. Only the
standard library, numpy and dnaio are imported, so the job starts fast. Run as
``python -m riverfish.reads --help``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from riverfish.errors import InputError, RiverfishError, ToolError
from riverfish.primers import IUPAC_COMPLEMENT, linked_adapters, reverse_complement
from riverfish.tools import find_tool, tool_version

STATS_COLUMNS = [
    "sample",
    "raw_pairs",
    "merged",
    "primer_trimmed",
    "length_ok",
    "quality_ok",
    "uniques",
    "merged_after_truncation",
]
UNIQUES_COLUMNS = ["sample", "reads", "sequence"]


@dataclass(frozen=True)
class ReadParams:
    """Science settings of the read steps (see config/config.yaml)."""

    forward: str
    reverse: str
    random_prefix_max: int = 6
    max_error_rate: float = 0.1
    both_orientations: bool = True
    indels: bool = False
    min_overlap: int = 10
    max_diffs: int = 20
    max_diff_pct: float = 30.0
    truncate_r1: int = 0
    truncate_r2: int = 0
    retry_lengths: tuple[int, ...] = (140, 130, 120)
    min_length: int = 130
    max_length: int = 220
    max_expected_errors: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "retry_lengths", tuple(self.retry_lengths))


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
    merged_after_truncation: int = 0


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


# --- the exact-primer shortcut ----------------------------------------------------------

_IUPAC_CLASS = {
    "A": "A",
    "C": "C",
    "G": "G",
    "T": "T",
    "R": "[AG]",
    "Y": "[CT]",
    "S": "[CG]",
    "W": "[AT]",
    "K": "[GT]",
    "M": "[AC]",
    "B": "[CGT]",
    "D": "[AGT]",
    "H": "[ACT]",
    "V": "[ACG]",
    "N": "[ACGT]",
}
_COMPLEMENT = str.maketrans(
    {**IUPAC_COMPLEMENT, **{k.lower(): v.lower() for k, v in IUPAC_COMPLEMENT.items()}}
)


def _primer_class(primer: str) -> str:
    return "".join(_IUPAC_CLASS[b] for b in primer.upper().replace("U", "T"))


class ExactPrimers:
    """Finds the amplicon in a merged read whose primers are present without any error.

    A read is ``random prefix (0..N bases) + forward primer + insert + reverse complement
    of the reverse primer + anything``. Degenerate primer positions match any base they
    stand for; an N in the read never matches a primer base (as in cutadapt). The reverse
    primer is searched from the end of the forward primer on, leftmost first.
    """

    def __init__(self, params: ReadParams):
        fwd = _primer_class(params.forward)
        rc_rev = reverse_complement(params.reverse)
        self._forward = re.compile(rf"^.{{0,{params.random_prefix_max}}}?{fwd}")
        self._reverse = None
        self._reverse_plain = rc_rev
        if set(rc_rev) - set("ACGT"):
            self._reverse = re.compile(_primer_class(rc_rev))
        self._len_rev = len(rc_rev)
        self._both = params.both_orientations

    def _insert(self, seq: str) -> tuple[int, int] | None:
        m = self._forward.match(seq)
        if m is None:
            return None
        start = m.end()
        if self._reverse is None:
            end = seq.find(self._reverse_plain, start)
        else:
            r = self._reverse.search(seq, start)
            end = -1 if r is None else r.start()
        return None if end < 0 else (start, end)

    def trim(self, seq: str, qual: str) -> tuple[str, str] | None:
        """(insert, its qualities), reverse-complemented if need be; None if not exact."""
        where = self._insert(seq)
        if where is not None:
            return seq[where[0] : where[1]], qual[where[0] : where[1]]
        if self._both:
            rc = seq.translate(_COMPLEMENT)[::-1]
            where = self._insert(rc)
            if where is not None:
                return rc[where[0] : where[1]], qual[::-1][where[0] : where[1]]
        return None


#: error probability of each Phred score (FASTQ offset 33), as vsearch computes it
_ERROR_PROBABILITY = np.array([10.0 ** (-q / 10.0) for q in range(94)])


class ReadFilter:
    """The length window and the expected-error limit of vsearch ``--fastq_filter``
    (``--fastq_minlen``, ``--fastq_maxlen``, ``--fastq_maxee``), on many reads at once.

    Expected errors are the sum of the bases' error probabilities (Phred+33); a read is
    kept when its length is in the window and its expected errors are at most the limit.
    vsearch starts and parses for each call, which cost as much as a fifth of the read
    steps; numpy does the same arithmetic on a whole chunk of reads.
    """

    def __init__(self, params: ReadParams):
        self.min_length = params.min_length
        self.max_length = params.max_length
        self.max_ee = params.max_expected_errors

    def apply(self, seqs: list[str], quals: list[str]) -> tuple[int, list[str]]:
        """(number of reads in the length window, the sequences that also keep the limit)."""
        in_window, good, _ = self.split(seqs, quals)
        return in_window, good

    def split(self, seqs: list[str], quals: list[str]) -> tuple[int, list[str], list[str]]:
        """(number of reads in the length window, the sequences within the error limit,
        those of the window over it)."""
        if not seqs:
            return 0, [], []
        lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        window = np.flatnonzero((lengths >= self.min_length) & (lengths <= self.max_length))
        if len(window) == 0:
            return 0, [], []
        sizes = lengths[window]
        scores = np.frombuffer("".join(quals[i] for i in window).encode("ascii"), np.uint8)
        scores = scores.astype(np.intp) - 33
        if len(scores) and (scores.min() < 0 or scores.max() >= len(_ERROR_PROBABILITY)):
            raise ToolError(
                f"base qualities outside Phred+33 ({scores.min()}..{scores.max()}) "
                "after merging: the reads are not Sanger/Illumina 1.8+ FASTQ"
            )
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        errors = np.zeros(len(window))
        nonempty = sizes > 0
        errors[nonempty] = np.add.reduceat(_ERROR_PROBABILITY[scores], starts[nonempty])
        ok = errors <= self.max_ee
        return len(window), [seqs[i] for i in window[ok]], [seqs[i] for i in window[~ok]]


# --- the steps --------------------------------------------------------------------------


#: Free bytes under which a folder's disk counts as full when a tool's output is cut short.
FULL_DISK = 1 << 20


def _full_disk(folder: Path) -> str:
    """A sentence on the disk of ``folder`` when it is (nearly) full, else ``""``: a tool
    that cannot write may stop with an unclear message or leave a cut-short file."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    if free >= FULL_DISK:
        return ""
    return (
        f"; No space left on device: the disk holding {folder} has {free} bytes free "
        "(free space, or point the results elsewhere, and run again)"
    )


def _run(cmd: list[str], log, what: str, folder: Path | None = None) -> None:
    """Run a tool, sending its messages to the log; raise ToolError on failure."""
    log.write("$ " + " ".join(cmd) + "\n")
    log.flush()
    proc = subprocess.run(cmd, stdout=log, stderr=log, check=False)
    if proc.returncode != 0:
        raise ToolError(
            f"{what} failed (exit status {proc.returncode}); its messages are in the log above"
            + (_full_disk(folder) if folder is not None else "")
        )


def _fastq_records(path: Path):
    """(header line, sequence, qualities) of a FASTQ file a tool wrote (read by dnaio)."""
    import dnaio

    try:
        with dnaio.open(path, fileformat="fastq", mode="r") as reader:
            for record in reader:
                yield f"@{record.name}\n", record.sequence, record.qualities
    except dnaio.FileFormatError as exc:
        raise ToolError(f"{path}: {exc}{_full_disk(path.parent)}") from None


def _fastq_chunks(path: Path, records: int = 50_000):
    """Lists of (sequence, qualities) of a FASTQ file a tool wrote, chunk by chunk."""
    chunk: list[tuple[str, str]] = []
    for _, seq, qual in _fastq_records(path):
        chunk.append((seq, qual))
        if len(chunk) == records:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True)
class _Job:
    index: int
    sample: str
    r1: str
    r2: str
    params: ReadParams
    tmp: str
    vsearch: str
    exact_shortcut: bool


def _truncated_pairs(
    r1: str, r2: str, len1: int, len2: int, out1: Path, out2: Path, all_pairs: bool = False
) -> int:
    """Write the pairs of (r1, r2) with R1 cut to ``len1`` and R2 to ``len2`` bases (0:
    as it is): every pair, or (``all_pairs=False``) only those of which at least one read
    gets shorter. Returns the number of pairs cut."""
    import dnaio

    n = 0
    with (
        dnaio.open(r1, file2=r2, mode="r") as reader,
        dnaio.open(out1, file2=out2, mode="w", fileformat="fastq") as writer,
    ):
        for a, b in reader:
            cut_a = len1 and len(a) > len1
            cut_b = len2 and len(b) > len2
            if cut_a or cut_b or all_pairs:
                writer.write(a[:len1] if cut_a else a, b[:len2] if cut_b else b)
                n += bool(cut_a or cut_b)
    return n


def merge_pairs(
    r1: str, r2: str, params: ReadParams, stem: Path, vsearch: str, log
) -> tuple[list[Path], int]:
    """Merge a sample's read pairs with vsearch; (merged FASTQ files, how many of their
    reads merged only after truncation).

    The pairs are merged as they are (or cut to ``truncate_r1`` / ``truncate_r2`` bases
    first, when set). Pairs that do not merge are tried again with both reads cut to each
    of ``retry_lengths`` in turn: on runs whose quality drops steeply towards the 3' ends,
    the low-quality tails of the overlap make vsearch refuse the alignment ("alignment
    score too low, or score drop too high") although the rest of the pair is sound. Only
    the pairs that need it lose their tails, so good runs merge exactly as without retries.
    """
    first_r1, first_r2 = r1, r2
    if params.truncate_r1 or params.truncate_r2:
        first_r1, first_r2 = f"{stem}.cut_R1.fastq", f"{stem}.cut_R2.fastq"
        n_cut = _truncated_pairs(
            r1, r2, params.truncate_r1, params.truncate_r2, Path(first_r1), Path(first_r2), True
        )
        log.write(f"{n_cut} pairs cut to R1 {params.truncate_r1}, R2 {params.truncate_r2} bases\n")
    outputs: list[Path] = []
    after_truncation = 0
    source = (first_r1, first_r2)
    lengths = sorted(set(params.retry_lengths), reverse=True)
    for k, length in enumerate([0, *lengths]):
        if length:  # a retry: the pairs left over, both reads cut to this length
            cut = (Path(f"{stem}.retry{k}_R1.fastq"), Path(f"{stem}.retry{k}_R2.fastq"))
            n_left = _truncated_pairs(*source, length, length, *cut)
            _remove_temporary(source, (r1, r2))
            source = (str(cut[0]), str(cut[1]))
            if n_left == 0:
                break
        merged = Path(f"{stem}.merged{k}.fastq")
        rest = (Path(f"{stem}.unmerged{k}_R1.fastq"), Path(f"{stem}.unmerged{k}_R2.fastq"))
        cmd = [vsearch, "--fastq_mergepairs", source[0], "--reverse", source[1]]
        cmd += ["--fastq_minovlen", str(params.min_overlap)]
        cmd += ["--fastq_maxdiffs", str(params.max_diffs)]
        cmd += ["--fastq_maxdiffpct", str(params.max_diff_pct)]
        cmd += ["--fastqout", str(merged), "--threads", "1", "--no_progress"]
        if k < len(lengths):
            cmd += ["--fastqout_notmerged_fwd", str(rest[0])]
            cmd += ["--fastqout_notmerged_rev", str(rest[1])]
        _run(cmd, log, "vsearch --fastq_mergepairs", merged.parent)
        outputs.append(merged)
        if length:
            after_truncation += _count_fastq(merged)
        _remove_temporary(source, (r1, r2))
        source = (str(rest[0]), str(rest[1]))
        if k == len(lengths) or rest[0].stat().st_size == 0:
            break
    _remove_temporary(source, (r1, r2))
    return outputs, after_truncation


def _remove_temporary(paths, keep) -> None:
    for path in paths:
        if path not in keep:
            Path(path).unlink(missing_ok=True)


def _count_fastq(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh) // 4


def _merge_and_trim(job: _Job) -> dict:
    """Step 1 of one sample (runs in a worker). Returns counts, or the sample's error."""
    tmp = Path(job.tmp)
    log_path = tmp / f"{job.index}.log"
    try:
        with open(log_path, "w") as log:
            raw = count_pairs(job.r1, job.r2)
            p = job.params
            merged_files, after_truncation = merge_pairs(
                job.r1, job.r2, p, tmp / str(job.index), job.vsearch, log
            )
            primers = ExactPrimers(p)
            trim = primers.trim if job.exact_shortcut else (lambda seq, qual: None)
            keep = ReadFilter(p)
            counts: Counter = Counter()
            noisy: Counter = Counter()
            n_merged = exact = rest = length_ok = 0
            with open(tmp / f"{job.index}.rest.fastq", "w") as aside:
                for chunk in (c for m in merged_files for c in _fastq_chunks(m)):
                    seqs, quals, left = [], [], []
                    for seq, qual in chunk:
                        n_merged += 1
                        hit = trim(seq, qual)
                        if hit is None:
                            left.append(f"@{job.index}.{n_merged}\n{seq}\n+\n{qual}\n")
                        else:
                            seqs.append(hit[0])
                            quals.append(hit[1])
                    exact += len(seqs)
                    rest += len(left)
                    aside.writelines(left)
                    in_window, good, bad = keep.split(seqs, quals)
                    length_ok += in_window
                    counts.update(map(str.upper, good))
                    noisy.update(map(str.upper, bad))
            for m in merged_files:
                m.unlink()
            if n_merged > raw:
                raise ToolError(f"vsearch merged {n_merged} reads out of {raw} pairs")
            _write_counts(counts, tmp / f"{job.index}.exact.tsv")
            _write_counts(noisy, tmp / f"{job.index}.exact_noisy.tsv")
            log.write(
                f"{raw} pairs, {n_merged} merged; {exact} with both primers exactly, "
                f"{rest} left to cutadapt\n"
            )
        return {
            "raw_pairs": raw,
            "merged": n_merged,
            "merged_after_truncation": after_truncation,
            "exact": exact,
            "rest": rest,
            "length_ok": length_ok,
            "quality_ok": counts.total(),
        }
    except RiverfishError as exc:
        return {"error": str(exc)}


def _write_counts(counts: Counter, path: Path) -> None:
    with open(path, "w") as out:
        out.writelines(f"{seq}\t{n}\n" for seq, n in counts.items())


def _read_counts(path: Path) -> Counter:
    counts: Counter = Counter()
    with open(path) as fh:
        for line in fh:
            seq, n = line.rstrip("\n").split("\t")
            counts[seq] = int(n)
    return counts


def _write_uniques(sample: str, counts: Counter, path: Path) -> None:
    with open(path, "w") as out:
        for seq, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            out.write(f"{sample}\t{n}\t{seq}\n")


def _rescued_and_dereplicate(job: _Job) -> dict:
    """Step 3 of one sample (runs in a worker): cutadapt's reads through the same filter,
    added to the exact ones; the sample's distinct reads, most abundant first (those
    within the error limit, and apart those of the length window over it)."""
    tmp = Path(job.tmp)
    try:
        counts = _read_counts(tmp / f"{job.index}.exact.tsv")
        noisy = _read_counts(tmp / f"{job.index}.exact_noisy.tsv")
        rescued = tmp / f"{job.index}.rescued.fastq"
        seqs, quals = [], []
        if rescued.exists():
            for _, seq, qual in _fastq_records(rescued):
                seqs.append(seq)
                quals.append(qual)
        in_window, good, bad = ReadFilter(job.params).split(seqs, quals)
        counts.update(map(str.upper, good))
        noisy.update(map(str.upper, bad))
        _write_uniques(job.sample, counts, tmp / f"{job.index}.uniques.tsv")
        _write_uniques(job.sample, noisy, tmp / f"{job.index}.noisy.tsv")
        return {
            "rescued": len(seqs),
            "length_ok": in_window,
            "quality_ok": len(good),
            "uniques": len(counts),
        }
    except RiverfishError as exc:
        return {"error": str(exc)}


def _start_cutadapt(
    trimmed: Path, report: Path, params: ReadParams, cutadapt: str, log
) -> subprocess.Popen:
    """Step 2: cutadapt reading the set-aside reads of all samples from its standard
    input, while the samples are still being merged (it starts once per campaign)."""
    cmd = [cutadapt]
    for spec in linked_adapters(
        params.forward, params.reverse, params.random_prefix_max, params.indels
    ):
        cmd += ["-g", spec]
    cmd += ["-e", str(params.max_error_rate), "--discard-untrimmed"]
    if params.both_orientations:
        cmd.append("--revcomp")
    cmd += ["--json", str(report), "-j", "1", "-o", str(trimmed), "-"]
    log.write("$ " + " ".join(cmd) + "\n")
    log.flush()
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=log)


def _finish_cutadapt(proc: subprocess.Popen, report: Path) -> tuple[int, int]:
    """Wait for cutadapt; (reads in, reads out) from its report."""
    try:
        proc.stdin.close()
    except BrokenPipeError:  # it stopped reading: its exit status says why
        pass
    if proc.wait() != 0:
        raise ToolError(
            f"cutadapt (primer trimming) failed (exit status {proc.returncode}); its "
            "messages are in the log above"
        )
    with open(report) as fh:
        counts = json.load(fh)["read_counts"]
    return counts["input"], counts["output"]


def _pool(threads: int, n: int):
    """Worker processes for the per-sample steps (none when one would do), started now:
    forked later, they would hold open the pipe to cutadapt, which then never ends."""
    workers = max(1, min(threads, n))
    if workers == 1:
        return None
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"))
    pool.submit(int).result()  # a fork pool starts all its workers at the first task
    return pool


def _map(pool, fn, jobs):
    """fn over the jobs, results in job order, each as soon as it and those before it are
    done."""
    return pool.map(fn, jobs) if pool is not None else (fn(j) for j in jobs)


def process_campaign(
    samples: list[tuple[str, str, str]],
    params: ReadParams,
    uniques_out: str | os.PathLike,
    stats_out: str | os.PathLike,
    log,
    threads: int = 1,
    vsearch: str | None = None,
    cutadapt: str | None = None,
    exact_shortcut: bool = True,
    noisy_out: str | os.PathLike | None = None,
) -> list[SampleStats]:
    """Turn every sample's read pairs into dereplicated, primer-free, filtered reads.

    ``samples`` are (name, R1 path, R2 path). Writes ``uniques_out`` (TSV: sample, reads,
    sequence; per sample the most abundant first; the reads within the expected-error
    limit), ``noisy_out`` if given (the same for the reads of the length window over the
    limit: they do not make ASVs but are counted in them) and ``stats_out`` (TSV, one row
    of read-tracking numbers per sample, in the order given). They appear only when every
    sample succeeded; a sample with bad input fails the job with a message naming it (all
    such samples are named at once). A sample left with no reads is a valid result.
    """
    vsearch = vsearch or tool_version("vsearch")[0]
    cutadapt = cutadapt or find_tool("cutadapt")
    uniques_out, stats_out = Path(uniques_out), Path(stats_out)
    uniques_out.parent.mkdir(parents=True, exist_ok=True)
    # a job killed hard (kill -9, power loss) left its work folder behind
    for stale in uniques_out.parent.glob(".reads.tmp????????"):
        shutil.rmtree(stale, ignore_errors=True)
    results = [SampleStats(sample=name) for name, _, _ in samples]
    with tempfile.TemporaryDirectory(prefix=".reads.tmp", dir=uniques_out.parent) as tmp:
        jobs = [
            _Job(i, name, str(r1), str(r2), params, tmp, vsearch, exact_shortcut)
            for i, (name, r1, r2) in enumerate(samples)
        ]
        pool = _pool(threads, len(jobs))
        clock = time.monotonic()
        cut = _start_cutadapt(
            Path(tmp) / "rest.trimmed.fastq", Path(tmp) / "cutadapt.json", params, cutadapt, log
        )
        try:
            step1 = _exact_primers(pool, jobs, cut, Path(tmp), log)
            log.write(f"merged and exact primers: {time.monotonic() - clock:.1f} s\n")
            _fail_on_errors(jobs, step1, log)
            for s, counts in zip(results, step1, strict=True):
                s.raw_pairs, s.merged = counts["raw_pairs"], counts["merged"]
                s.merged_after_truncation = counts["merged_after_truncation"]
                s.primer_trimmed = counts["exact"]
                s.length_ok, s.quality_ok = counts["length_ok"], counts["quality_ok"]
            _finish_rest(cut, Path(tmp), step1, len(jobs), clock, log)
            step3 = list(_map(pool, _rescued_and_dereplicate, jobs))
            _fail_on_errors(jobs, step3, log)
            log.write(f"filtered and dereplicated: {time.monotonic() - clock:.1f} s\n")
        finally:
            if cut.poll() is None:  # an error before cutadapt was done with
                cut.kill()
                cut.wait()
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        for s, counts in zip(results, step3, strict=True):
            s.primer_trimmed += counts["rescued"]
            s.length_ok += counts["length_ok"]
            s.quality_ok += counts["quality_ok"]
            s.uniques = counts["uniques"]
            _check_decreasing(s)
        _copy_logs(jobs, log)
        _write_outputs(Path(tmp), jobs, results, uniques_out, stats_out, noisy_out)
    for s in results:
        log.write(f"read tracking: {json.dumps(asdict(s))}\n")
    return results


def _exact_primers(pool, jobs: list[_Job], cut, tmpdir: Path, log) -> list[dict]:
    """Step 1 of every sample (merge, exact primers, filter); each sample's set-aside
    reads go to the running cutadapt as soon as the sample is done."""
    step1, stopped = [], False
    for job, counts in zip(jobs, _map(pool, _merge_and_trim, jobs), strict=True):
        step1.append(counts)
        if "error" not in counts and not stopped:
            with open(tmpdir / f"{job.index}.rest.fastq", "rb") as part:
                try:
                    shutil.copyfileobj(part, cut.stdin)
                except BrokenPipeError:
                    stopped = True  # cutadapt failed: said when it is finished
    return step1


def _finish_rest(cut, tmpdir: Path, step1: list[dict], n_jobs: int, clock: float, log) -> None:
    """Wait for cutadapt, hand each sample back its trimmed reads and check the counts."""
    n_rest = sum(c["rest"] for c in step1)
    n_in, n_out = _finish_cutadapt(cut, tmpdir / "cutadapt.json")
    got = _append_by_sample(tmpdir / "rest.trimmed.fastq", tmpdir, n_jobs)
    if n_in != n_rest or n_out != got:
        raise ToolError(
            f"cutadapt reported {n_in} reads in and {n_out} out, but {n_rest} "
            f"were given and {got} written"
        )
    log.write(
        f"cutadapt: {n_out} of {n_rest} reads without exact primers kept "
        f"({time.monotonic() - clock:.1f} s)\n"
    )


def _write_outputs(tmpdir, jobs, results, uniques_out, stats_out, noisy_out) -> None:
    """The uniques (and noisy reads) of all samples and the read tracking, each written
    in the work folder and then moved into place."""
    tmp_uniques = tmpdir / "uniques.tsv"
    _concatenate(tmpdir, jobs, "uniques.tsv", tmp_uniques)
    tmp_noisy = tmpdir / "noisy.tsv"
    if noisy_out is not None:
        _concatenate(tmpdir, jobs, "noisy.tsv", tmp_noisy)
    tmp_stats = tmpdir / "stats.tsv"
    with open(tmp_stats, "w", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(STATS_COLUMNS)
        w.writerows([asdict(s)[c] for c in STATS_COLUMNS] for s in results)
    if noisy_out is not None:
        os.replace(tmp_noisy, noisy_out)
    os.replace(tmp_uniques, uniques_out)
    os.replace(tmp_stats, stats_out)


def _concatenate(tmpdir: Path, jobs: list[_Job], name: str, out: Path) -> None:
    """The samples' parts ``<index>.<name>`` in sample order, under one header."""
    with open(out, "wb") as fh:
        fh.write(("\t".join(UNIQUES_COLUMNS) + "\n").encode())
        for job in jobs:
            with open(tmpdir / f"{job.index}.{name}", "rb") as part:
                shutil.copyfileobj(part, fh)


def _append_by_sample(trimmed: Path, tmpdir: Path, n_samples: int) -> int:
    """Split cutadapt's reads by sample (headers are ``index.n``)."""
    outs = {}
    n = 0
    try:
        for header, seq, qual in _fastq_records(trimmed):
            index = int(header[1:].split(".", 1)[0])
            if not 0 <= index < n_samples:
                raise ToolError(f"{trimmed}: read {header.strip()!r} of no sample")
            if index not in outs:
                outs[index] = open(tmpdir / f"{index}.rescued.fastq", "w")
            outs[index].write(f"{header}{seq}\n+\n{qual}\n")
            n += 1
    finally:
        for fh in outs.values():
            fh.close()
    return n


class SampleError(InputError):
    """One or more samples could not be processed; the message names each of them."""


def _fail_on_errors(jobs: list[_Job], results: list[dict], log) -> None:
    failed = [(job, r["error"]) for job, r in zip(jobs, results, strict=True) if "error" in r]
    if failed:
        _copy_logs(jobs, log)
        text = "\n".join(f"error in sample '{job.sample}': {err}" for job, err in failed)
        if len(failed) > 1:
            text = f"{len(failed)} of {len(jobs)} samples failed:\n{text}"
        raise SampleError(text)


def _copy_logs(jobs: list[_Job], log) -> None:
    """The samples' tool messages, in sample order, into the campaign's log."""
    for job in jobs:
        path = Path(job.tmp) / f"{job.index}.log"
        if path.exists():
            log.write(f"--- sample '{job.sample}'\n{path.read_text()}")
            path.unlink()
    log.flush()


def _check_decreasing(stats: SampleStats) -> None:
    steps = [
        (stats.raw_pairs, stats.merged, "merged"),
        (stats.merged, stats.primer_trimmed, "primer_trimmed"),
        (stats.primer_trimmed, stats.length_ok, "length_ok"),
        (stats.length_ok, stats.quality_ok, "quality_ok"),
    ]
    for earlier, later, name in steps:
        if later > earlier:
            raise ToolError(
                f"read tracking of sample '{stats.sample}' went up at '{name}': "
                f"{earlier} -> {later}"
            )


def read_uniques_table(path: str | os.PathLike) -> dict[str, Counter]:
    """sample -> Counter(sequence -> reads), from a campaign's uniques.tsv."""
    out: dict[str, Counter] = {}
    with open(path, newline="") as fh:
        rows = csv.reader(fh, delimiter="\t")
        header = next(rows, None)
        if header != UNIQUES_COLUMNS:
            raise ToolError(f"{path}: columns {header}, expected {UNIQUES_COLUMNS}")
        for sample, reads, seq in rows:
            out.setdefault(sample, Counter())[seq] += int(reads)
    return out


def read_stats_table(path: str | os.PathLike) -> dict[str, dict[str, int]]:
    """sample -> read-tracking numbers, from a campaign's stats.tsv."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if rows and list(rows[0]) != STATS_COLUMNS:
        raise ToolError(f"{path}: columns {list(rows[0])}, expected {STATS_COLUMNS}")
    return {r["sample"]: {c: int(r[c]) for c in STATS_COLUMNS[1:]} for r in rows}


def main(argv: list[str] | None = None) -> int:
    """Command line of one campaign's job (used by the workflow's rule campaign_reads)."""
    ap = argparse.ArgumentParser(
        prog="python -m riverfish.reads", description=process_campaign.__doc__
    )
    ap.add_argument(
        "--samples",
        required=True,
        type=Path,
        help="TSV without header: sample, R1 path, R2 path (one line per sample)",
    )
    ap.add_argument("--uniques", required=True, type=Path)
    ap.add_argument("--stats", required=True, type=Path)
    ap.add_argument("--noisy", type=Path, help="reads of the window over the error limit")
    ap.add_argument("--params", required=True, help="JSON object of ReadParams fields")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    try:
        params = ReadParams(**json.loads(args.params))
        with open(args.samples, newline="") as fh:
            samples = [tuple(row) for row in csv.reader(fh, delimiter="\t") if row]
        process_campaign(
            samples,
            params,
            args.uniques,
            args.stats,
            sys.stderr,
            threads=args.threads,
            noisy_out=args.noisy,
        )
    except SampleError as exc:
        print(exc, file=sys.stderr)
        return 1
    except RiverfishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
