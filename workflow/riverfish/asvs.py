"""Per-campaign exact sequence variants (ASVs): pool, denoise, remove chimeras, count.

The reads of a campaign's samples are pooled (dereplicated with their abundances),
denoised with UNOISE3, and chimeras removed with uchime3 de novo (vsearch), over the pool
and then sample by sample (see :func:`sample_chimeras`). Each ASV is
named by the MD5 of its upper-case sequence, so the same sequence has the same name in
every campaign. Every distinct read sequence is then mapped once to the ASVs, and each
sample's reads are counted through that map: a sample's counts add up to its reads that
matched an ASV.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from riverfish.errors import ToolError
from riverfish.tools import find_tool, run_tool


def md5seq(seq: str) -> str:
    """The name of a sequence: MD5 hex digest of its upper-case form."""
    return hashlib.md5(seq.upper().encode("ascii")).hexdigest()


def read_fasta(path: str | os.PathLike) -> Iterator[tuple[str, str]]:
    """Yield (header without '>', sequence) from a FASTA file written by a tool (dnaio)."""
    import dnaio

    try:
        with dnaio.open(path, fileformat="fasta", mode="r") as reader:
            for record in reader:
                yield record.name, record.sequence
    except dnaio.FileFormatError as exc:
        raise ToolError(f"{path}: {exc}") from None


def union_of_campaigns(paths: Sequence[str | os.PathLike]) -> list[tuple[str, str]]:
    """The ASVs of all campaigns (FASTA files in campaign order), each once, in order of
    first appearance; an ASV name with two different sequences is an error."""
    seen: dict[str, str] = {}
    for path in paths:
        for asv_id, seq in read_fasta(path):
            if seen.setdefault(asv_id, seq) != seq:
                raise ToolError(f"{path}: ASV {asv_id} has two different sequences")
    return list(seen.items())


def write_fasta(records: Iterable[tuple[str, str]], path: str | os.PathLike) -> None:
    """Write (header, sequence) records, one line per sequence (dnaio), atomically."""
    import dnaio

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with dnaio.open(tmp, mode="w", fileformat="fasta") as writer:
        for header, seq in records:
            writer.write(dnaio.SequenceRecord(header, seq))
    os.replace(tmp, path)


@dataclass(frozen=True)
class DenoiseParams:
    """UNOISE3 / uchime3 / mapping settings (config key ``denoise``)."""

    min_size: int = 8
    alpha: float = 2.0
    chimera_abskew: float = 16.0
    chimera_sample_fraction: float = 0.5
    map_identity: float = 0.97
    sample_min_size: int = 4


@dataclass
class CampaignASVs:
    """The result of one campaign: ASVs, counts and reads matched per sample."""

    asvs: list[tuple[str, str]]  # (asv_id, sequence), most abundant first
    counts: list[tuple[str, str, int]]  # (asv_id, sample, reads)
    in_asvs: dict[str, int]  # sample -> reads that matched an ASV


def _vsearch(args: list[str], log, what: str) -> None:
    cmd = [find_tool("vsearch"), *args, "--no_progress"]
    log.write("$ " + " ".join(cmd) + "\n")
    log.flush()
    proc = subprocess.run(cmd, stdout=log, stderr=log, check=False)
    if proc.returncode != 0:
        raise ToolError(f"vsearch {what} failed (exit status {proc.returncode}); see the log")


def denoise_campaign(
    samples: Sequence[str],
    uniques: Mapping[str, Counter],
    params: DenoiseParams,
    workdir: str | os.PathLike,
    log,
    threads: int = 1,
    noisy: Mapping[str, Counter] | None = None,
) -> CampaignASVs:
    """Denoise the pooled reads of one campaign and count every sample's reads per ASV.

    ``samples`` are the campaign's sample names (in sheet order), ``uniques`` each one's
    dereplicated reads (sequence -> reads; a sample without reads may be missing) that
    make the ASVs. ``noisy`` are reads (likewise) that take no part in finding ASVs, the
    reads over the expected-error limit: they are counted where they match an ASV, as
    UNOISE's author advises for the OTU table (the quality filter is for finding the true
    sequences; reads with a few more errors still show which sequence they came from).
    Returns ASVs ordered by total reads (then name), counts ordered by sample (as given),
    reads (descending) and ASV name.
    """
    noisy = noisy or {}
    unknown = (set(uniques) | set(noisy)) - set(samples)
    if unknown:
        raise ToolError(f"reads of samples not in the campaign: {sorted(unknown)}")
    per_sample = [uniques.get(sample, Counter()) for sample in samples]
    to_count = [per_sample[i] + noisy.get(s, Counter()) for i, s in enumerate(samples)]
    pooled: Counter = Counter()
    for counts in per_sample:
        pooled.update(counts)
    if not pooled:
        return CampaignASVs(asvs=[], counts=[], in_asvs={s: 0 for s in samples})

    # a job of this campaign killed hard (kill -9, power loss) left its work folder behind
    for stale in Path(workdir).glob(".denoise.????????"):
        shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=".denoise.", dir=workdir) as tmp:
        tmpdir = Path(tmp)
        denoised = tmpdir / "denoised.fasta"
        sized = _unoise_pooled(pooled, params, tmpdir, denoised, log, threads)
        centroids = [seq for _, seq in sized]
        sample_only = sample_centroids(
            per_sample, params, tmpdir, log, threads, known=frozenset(centroids)
        )
        if sample_only:
            # the sequences found only sample by sample join the pooled ones (abundance:
            # their reads over the campaign) before the chimera checks, which need the
            # candidates from the most abundant down
            sized += [(pooled[q], q) for q in sample_only]
            sized.sort(key=lambda kv: (-kv[0], kv[1]))
            write_fasta(((f"{md5seq(q)};size={n}", q) for n, q in sized), denoised)
            centroids = [seq for _, seq in sized]
        if not centroids:
            return CampaignASVs(asvs=[], counts=[], in_asvs={s: 0 for s in samples})
        asv_seqs, sample_chimera_count = _without_chimeras(
            denoised, centroids, per_sample, params, tmpdir, log, threads
        )
        log.write(
            f"{len(centroids)} denoised sequences: {len(centroids) - len(asv_seqs)} chimeras "
            f"({sample_chimera_count} of them found only sample by sample), "
            f"{len(asv_seqs)} ASVs ({len(sample_only & asv_seqs)} of them found only by "
            "denoising each sample on its own)\n"
        )
        seq_to_asv = _map_to_asvs(asv_seqs, pooled, noisy, params, tmpdir, log, threads)
    return _count_per_sample(samples, to_count, seq_to_asv, asv_seqs)


def _unoise_pooled(
    pooled: Counter, params: DenoiseParams, tmpdir: Path, denoised: Path, log, threads: int
) -> list[tuple[int, str]]:
    """UNOISE3 on the campaign's pooled reads: (abundance, sequence) of the centroids,
    written to ``denoised``."""
    pooled_fa = tmpdir / "pooled.fasta"
    order = sorted(pooled.items(), key=lambda kv: (-kv[1], kv[0]))
    # UNOISE3 ignores sequences seen fewer than min_size times: leave them out here
    write_fasta(
        ((f"{md5seq(s)};size={n}", s) for s, n in order if n >= params.min_size),
        pooled_fa,
    )
    _vsearch(
        [
            "--cluster_unoise",
            str(pooled_fa),
            "--minsize",
            str(params.min_size),
            "--unoise_alpha",
            str(params.alpha),
            "--sizein",
            "--sizeout",
            "--fasta_width",
            "0",
            "--centroids",
            str(denoised),
            "--threads",
            str(threads),
        ],
        log,
        "--cluster_unoise",
    )
    return [(_size(h), seq.upper()) for h, seq in read_fasta(denoised)]


def _without_chimeras(
    denoised: Path,
    centroids: list[str],
    per_sample: Sequence[Counter],
    params: DenoiseParams,
    tmpdir: Path,
    log,
    threads: int,
) -> tuple[set[str], int]:
    """The denoised sequences that are not chimeras (uchime3 de novo over the campaign,
    then the check within each sample), and how many only the check within samples
    found."""
    nonchim = tmpdir / "nonchimeras.fasta"
    _vsearch(
        [
            "--uchime3_denovo",
            str(denoised),
            "--abskew",
            str(params.chimera_abskew),
            "--sizein",
            "--sizeout",
            "--fasta_width",
            "0",
            "--nonchimeras",
            str(nonchim),
        ],
        log,
        "--uchime3_denovo",
    )
    asv_seqs = {seq.upper() for _, seq in read_fasta(nonchim)}
    per_sample_chimeras = (
        sample_chimeras(centroids, per_sample, params, tmpdir, log, threads) & asv_seqs
    )
    asv_seqs -= per_sample_chimeras
    return asv_seqs, len(per_sample_chimeras)


def _map_to_asvs(
    asv_seqs: set[str],
    pooled: Counter,
    noisy: Mapping[str, Counter],
    params: DenoiseParams,
    tmpdir: Path,
    log,
    threads: int,
) -> dict[str, str]:
    """Read sequence -> ASV: reads identical to an ASV directly, the others (reads with
    errors, those over the error limit too) aligned to the ASVs."""
    asv_fa = tmpdir / "asvs.fasta"
    write_fasta(((md5seq(s), s) for s in sorted(asv_seqs)), asv_fa)
    seq_to_asv = {seq: md5seq(seq) for seq in asv_seqs}
    everything = pooled.copy()  # the reads that made the ASVs, and those over the limit
    for counts in noisy.values():
        everything.update(counts)
    rest = sorted(
        ((s, n) for s, n in everything.items() if s not in seq_to_asv),
        key=lambda kv: (-kv[1], kv[0]),
    )
    if not (asv_seqs and rest):
        return seq_to_asv
    rest_fa = tmpdir / "inexact.fasta"
    write_fasta(((md5seq(s), s) for s, _ in rest), rest_fa)
    hits = tmpdir / "map.tsv"
    _vsearch(
        [
            "--usearch_global",
            str(rest_fa),
            "--db",
            str(asv_fa),
            "--id",
            str(params.map_identity),
            "--strand",
            "plus",
            # the ASVs of a campaign are few and far apart: the best of the first 4
            # accepted is the best of all (the same map as 8 accepts and 64 rejects on
            # 1 million simulated pairs, in a fifth of the time)
            "--maxaccepts",
            "4",
            "--maxrejects",
            "4",
            "--maxhits",
            "1",
            "--userfields",
            "query+target+id",
            "--userout",
            str(hits),
            "--threads",
            str(threads),
        ],
        log,
        "--usearch_global (mapping reads to ASVs)",
    )
    seq_to_asv.update(_read_map(hits, {md5seq(s): s for s, _ in rest}))
    return seq_to_asv


def _count_per_sample(
    samples: Sequence[str],
    to_count: Sequence[Counter],
    seq_to_asv: Mapping[str, str],
    asv_seqs: set[str],
) -> CampaignASVs:
    """Each sample's reads per ASV; the ASVs ordered by total reads (then name)."""
    totals: Counter = Counter()
    counts: list[tuple[str, str, int]] = []
    in_asvs: dict[str, int] = {}
    for sample, sample_counts in zip(samples, to_count, strict=True):
        per_asv: Counter = Counter()
        for seq, n in sample_counts.items():
            asv = seq_to_asv.get(seq)
            if asv is not None:
                per_asv[asv] += n
        in_asvs[sample] = sum(per_asv.values())
        totals.update(per_asv)
        counts += [
            (a, sample, n) for a, n in sorted(per_asv.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
    by_id = {md5seq(s): s for s in asv_seqs}
    asvs = [(a, by_id[a]) for a in sorted(by_id, key=lambda a: (-totals[a], a))]
    return CampaignASVs(asvs=asvs, counts=counts, in_asvs=in_asvs)


def sample_centroids(
    per_sample: Sequence[Counter],
    params: DenoiseParams,
    tmpdir: Path,
    log,
    threads: int = 1,
    known: frozenset[str] = frozenset(),
) -> set[str]:
    """Sequences other than ``known`` (the pooled centroids) that UNOISE3 keeps when each
    sample is denoised on its own.

    Pooled denoising decides by abundance over the whole campaign: a sequence one or two
    substitutions from a far commoner one is taken for its error variant (UNOISE3's skew
    test) even where it is abundant in the samples that hold it, and a sequence of a
    single sample may stay under ``min_size`` over the pool. Here every sample's reads with
    at least ``sample_min_size`` exact copies are denoised with the same ``alpha``: what
    survives is not explained as an error of a commoner sequence *of the same sample*
    (reads with errors are always far rarer than their source in the sample they come
    from), and the classic UCHIME test within the sample finds no chimera in it.
    ``sample_min_size`` 0 turns this off.
    """
    if params.sample_min_size <= 0:
        return set()
    vsearch = find_tool("vsearch")

    def denoise(i: int) -> list[str]:
        present = sorted(
            ((n, s) for s, n in per_sample[i].items() if n >= params.sample_min_size),
            key=lambda kv: (-kv[0], kv[1]),
        )
        if all(s in known for _, s in present):
            return []  # its own denoising would keep nothing that the pool did not
        fasta = tmpdir / f"sample{i}.reads.fasta"
        out, kept_fa = tmpdir / f"sample{i}.unoise.fasta", tmpdir / f"sample{i}.kept.fasta"
        write_fasta(((f"{md5seq(s)};size={n}", s) for n, s in present), fasta)
        cmd = [vsearch, "--cluster_unoise", str(fasta), "--minsize", str(params.sample_min_size)]
        cmd += ["--unoise_alpha", str(params.alpha), "--sizein", "--sizeout"]
        cmd += ["--fasta_width", "0", "--centroids", str(out)]
        run_tool([*cmd, "--threads", "1", "--quiet", "--no_progress"], "vsearch --cluster_unoise")
        fasta.unlink()
        if all(seq.upper() in known for _, seq in read_fasta(out)):
            out.unlink()
            return []
        # The classic UCHIME test (a chimera's model may differ from it a little) with its
        # own skew: a sequence added on one sample's evidence must not be a chimera of
        # that sample's commoner sequences, even one that uchime3 (perfect models only)
        # lets pass.
        cmd = [vsearch, "--uchime_denovo", str(out), "--abskew", "2", "--sizein"]
        cmd += ["--fasta_width", "0", "--nonchimeras", str(kept_fa)]
        run_tool([*cmd, "--quiet", "--no_progress"], "vsearch --uchime_denovo (per sample)")
        kept = [q for q in (seq.upper() for _, seq in read_fasta(kept_fa)) if q not in known]
        out.unlink()
        kept_fa.unlink()
        return kept

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        found = set().union(*pool.map(denoise, range(len(per_sample))))
    log.write(
        f"UNOISE3 within each sample (--minsize {params.sample_min_size}): "
        f"{len(found)} sequences more than the pooled denoising\n"
    )
    return found


def sample_chimeras(
    centroids: Sequence[str],
    per_sample: Sequence[Counter],
    params: DenoiseParams,
    tmpdir: Path,
    log,
    threads: int = 1,
) -> set[str]:
    """Denoised sequences that uchime3 calls chimeric within the samples they occur in.

    PCR chimeras form within one sample's PCR, from parents present in that sample. In the
    pool of a whole campaign, uchime3 may pick a similar sequence of another sample as a
    parent, find no exact model and keep the chimera. Here each sample's reads identical to
    a denoised sequence are checked on their own (``--abskew`` as for the pool; samples
    with fewer than 3 such sequences are skipped; ``threads`` samples at a time); a
    sequence flagged in at least ``chimera_sample_fraction`` of the samples checked where
    it occurs is a chimera.
    """
    name = {seq: md5seq(seq) for seq in centroids}
    seq_of = {v: k for k, v in name.items()}
    vsearch = find_tool("vsearch")

    def check(i: int) -> list[tuple[str, bool]]:
        present = sorted(
            ((per_sample[i][c], name[c]) for c in centroids if per_sample[i].get(c)),
            reverse=True,
        )
        if len(present) < 3:
            return []
        fasta, table = tmpdir / f"sample{i}.fasta", tmpdir / f"sample{i}.uchime"
        write_fasta(((f"{md5};size={n}", seq_of[md5]) for n, md5 in present), fasta)
        cmd = [vsearch, "--uchime3_denovo", str(fasta), "--abskew", str(params.chimera_abskew)]
        cmd += ["--sizein", "--uchimeout", str(table), "--quiet", "--no_progress"]
        run_tool(cmd, "vsearch --uchime3_denovo (per sample)")
        calls = []
        with open(table) as fh:
            for line in fh:
                fields = line.rstrip("\n").split("\t")
                md5 = fields[1].split(";")[0]
                if md5 not in seq_of:
                    raise ToolError(f"{table}: unknown sequence {fields[1]!r}")
                calls.append((md5, fields[-1] == "Y"))
        fasta.unlink()
        table.unlink()
        return calls

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        per_sample_calls = list(pool.map(check, range(len(per_sample))))
    flagged: Counter = Counter()
    seen: Counter = Counter()
    for calls in per_sample_calls:
        for md5, chimeric in calls:
            seen[md5] += 1
            flagged[md5] += chimeric
    checked = sum(1 for calls in per_sample_calls if calls)
    log.write(
        f"uchime3 de novo within each of {checked} samples (--abskew {params.chimera_abskew})\n"
    )
    return {
        seq_of[md5]
        for md5, n in seen.items()
        if flagged[md5] and flagged[md5] >= params.chimera_sample_fraction * n
    }


def _size(header: str) -> int:
    """The abundance of a vsearch header ``name;size=N``."""
    for field in header.split(";"):
        if field.startswith("size="):
            return int(field[5:])
    raise ToolError(f"no abundance (;size=) in the FASTA header {header!r}")


def _read_map(path: Path, md5_to_seq: dict[str, str]) -> dict[str, str]:
    """sequence -> ASV name, from vsearch --userout query+target+id."""
    mapping: dict[str, str] = {}
    with open(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 3:
                raise ToolError(f"{path}, line {lineno}: expected 3 fields, got {fields!r}")
            query, target = fields[0].split(";")[0], fields[1].split(";")[0]
            if query not in md5_to_seq:
                raise ToolError(f"{path}, line {lineno}: unknown query {fields[0]!r}")
            mapping[md5_to_seq[query]] = target
    return mapping
