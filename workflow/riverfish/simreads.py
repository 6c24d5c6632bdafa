"""The simulated reads of a sample (paired FASTQ as a MiSeq run writes them) and the
truth tables of a programme.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from riverfish.errors import InputError
from riverfish.simmodel import (
    ADAPTER_R1,
    ADAPTER_R2,
    Haplotype,
    QualityProfile,
    SampleDesign,
    SimParams,
    revcomp,
)
from riverfish.simrefs import _ERROR_P, chimera

# Base codes of the read matrices: A C G T N, and a placeholder filled per read.
_CODES = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate(b"ACGTN"):
    _CODES[_b] = _i
_PLACEHOLDER = 5
_CODES[ord("X")] = _PLACEHOLDER
_LETTERS = np.frombuffer(b"ACGTNN", dtype=np.uint8)
# Reads of a sample are made in blocks of this many pairs (bounded memory, same bytes
# whatever the number of worker processes).
BLOCK = 100_000


# --------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------


@dataclass
class SampleCounts:
    """Read pairs of each kind written for one sample."""

    sample: str
    pairs: int = 0
    true: int = 0
    chimeras: int = 0
    tag_jumps: int = 0
    dimers: int = 0
    contaminant: int = 0
    per_species: dict[str, int] = field(default_factory=dict)  # true reads per species


def _codes(seq: str) -> np.ndarray:
    return _CODES[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]


def _template_tails(tops: Sequence[str], length: int, prefix: int) -> tuple[np.ndarray, ...]:
    """Read matrices after the random prefix: R1 from the top strand, R2 from the bottom,
    each followed by placeholders for the other end's random bases and the adapter."""
    width = length - prefix
    t1 = np.empty((len(tops), width), dtype=np.uint8)
    t2 = np.empty((len(tops), width), dtype=np.uint8)
    fill = "A" * width
    for i, top in enumerate(tops):
        a = (top + "X" * prefix + ADAPTER_R1 + fill)[:width]
        b = (revcomp(top) + "X" * prefix + ADAPTER_R2 + fill)[:width]
        t1[i] = _codes(a)
        t2[i] = _codes(b)
    return t1, t2


def _fastq_block(seq: np.ndarray, qual: np.ndarray, first: int, head: bytes, tail: bytes) -> bytes:
    """FASTQ records (fixed width) of a block: header = head + 8-digit number + tail."""
    n, length = seq.shape
    hw = len(head) + 8 + len(tail)
    width = hw + 1 + length + 3 + length + 1
    out = np.empty((n, width), dtype=np.uint8)
    out[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    numbers = np.arange(first, first + n, dtype=np.int64)
    for k in range(8):
        out[:, len(head) + 7 - k] = 48 + (numbers // 10**k) % 10
    out[:, len(head) + 8 : hw] = np.frombuffer(tail, dtype=np.uint8)
    out[:, hw] = 10
    out[:, hw + 1 : hw + 1 + length] = _LETTERS[seq]
    out[:, hw + 1 + length : hw + 4 + length] = np.frombuffer(b"\n+\n", dtype=np.uint8)
    out[:, hw + 4 + length : width - 1] = qual + 33
    out[:, width - 1] = 10
    return out.tobytes()


def _compress(data: bytes, level: int) -> bytes:
    """gzip without time stamp or file name (same input, same bytes)."""
    try:
        from isal import igzip

        return igzip.compress(data, compresslevel=min(level, 3), mtime=0)
    except ImportError:  # pragma: no cover - isal is installed with cutadapt
        import gzip

        return gzip.compress(data, compresslevel=level, mtime=0)


def _multinomial(rng: np.random.Generator, n: int, probs: Sequence[float]) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    return rng.multinomial(n, p / p.sum())


def simulate_sample(
    design: SampleDesign,
    index: int,
    haplotypes: Mapping[str, Haplotype],
    jump_mixture: Sequence[tuple[str, float]],
    profile: QualityProfile,
    params: SimParams,
    seed: int,
    r1_out: str | os.PathLike,
    r2_out: str | os.PathLike,
    compresslevel: int = 1,
    alignments: Mapping[tuple[str, str], tuple[str, str]] | None = None,
) -> SampleCounts:
    """Write one sample's read pairs (gzip FASTQ); return how many of each kind.

    Chimeras break at homologous positions of the parents' ``alignments``
    (:func:`aligned_pairs`), or at the same fraction of each parent without them.

    ``index`` is the sample number (``S<n>``; it also seeds the sample's random stream, so
    a sample's reads do not depend on the other samples). ``jump_mixture`` is the species
    composition of the rest of the campaign's reads (tag-jumps are drawn from it).
    """
    rng = np.random.default_rng([seed, 7, index])
    n = design.pairs
    counts = SampleCounts(sample=design.sample, pairs=n)
    comp = [(sp, f) for sp, f in design.composition if f > 0]
    if not comp and n:
        raise InputError(f"sample {design.sample}: no taxon with an abundance above 0")
    n_dimer = int(rng.binomial(n, params.dimer_rate))
    n_chim = int(rng.binomial(n, params.chimera_rate)) if len(comp) > 1 else 0
    n_jump = int(rng.binomial(n, params.tag_jump_rate)) if jump_mixture else 0
    n_cont = int(rng.binomial(n, params.contaminant_trace)) if design.type == "sample" else 0
    n_true = n - n_dimer - n_chim - n_jump - n_cont
    if n_true < 0:  # tiny samples
        n_dimer, n_chim, n_jump, n_cont, n_true = 0, 0, 0, 0, n
    counts.true, counts.chimeras, counts.tag_jumps = n_true, n_chim, n_jump
    counts.dimers, counts.contaminant = n_dimer, n_cont
    amplicons = _Amplicons(haplotypes, params)
    amplicons.add_true(rng, comp, counts)
    amplicons.add(params.contaminant, n_cont)
    if n_jump:
        jump_counts = _multinomial(rng, n_jump, [f for _, f in jump_mixture])
        for (sp, _), k in zip(jump_mixture, jump_counts, strict=True):
            amplicons.add(sp, int(k))
    if n_dimer:
        amplicons.tops.append(amplicons.fwd + amplicons.rc_rev)
        amplicons.reps.append(n_dimer)
    amplicons.add_chimeras(rng, comp, n_chim, alignments or {})
    _write_pairs(rng, amplicons, n, index, profile, params, r1_out, r2_out, compresslevel)
    return counts


class _Amplicons:
    """The distinct amplicons of a sample (primer + insert + primer) and their pairs."""

    def __init__(self, haplotypes: Mapping[str, Haplotype], params: SimParams):
        self.haplotypes = haplotypes
        self.fwd, self.rc_rev = params.forward.upper(), revcomp(params.reverse.upper())
        self.tops: list[str] = []
        self.reps: list[int] = []

    def insert_of(self, sp: str) -> str:
        try:
            return self.haplotypes[sp].sequence
        except KeyError:
            raise InputError(f"species {sp!r} has no haplotype") from None

    def add(self, sp: str, k: int) -> None:
        """``k`` pairs of a species' amplicon (none when ``k`` is 0)."""
        if k:
            self.tops.append(self.fwd + self.insert_of(sp) + self.rc_rev)
            self.reps.append(k)

    def add_true(self, rng, comp, counts: SampleCounts) -> None:
        """The designed species' pairs, drawn from their abundances."""
        true_counts = (
            _multinomial(rng, counts.true, [f for _, f in comp]) if comp else np.zeros(0, int)
        )
        for (sp, _), k in zip(comp, true_counts, strict=True):
            counts.per_species[sp] = counts.per_species.get(sp, 0) + int(k)
            self.add(sp, int(k))

    def add_chimeras(self, rng, comp, n_chim: int, alignments) -> None:
        """``n_chim`` chimeras of two different designed species, one pair each."""
        if not n_chim:
            return
        probs = np.array([f for _, f in comp], dtype=np.float64)
        probs /= probs.sum()
        a = rng.choice(len(comp), size=n_chim, p=probs)
        b = rng.choice(len(comp), size=n_chim, p=probs)
        while (same := a == b).any():
            b[same] = rng.choice(len(comp), size=int(same.sum()), p=probs)
        cut = rng.uniform(0.15, 0.85, size=n_chim)
        for i in range(n_chim):
            pa, pb = comp[a[i]][0], comp[b[i]][0]
            insert = chimera(
                self.insert_of(pa), self.insert_of(pb), cut[i], alignments.get((pa, pb))
            )
            self.tops.append(self.fwd + insert + self.rc_rev)
            self.reps.append(1)


def _write_pairs(rng, amplicons, n, index, profile, params, r1_out, r2_out, compresslevel):
    """Write ``n`` read pairs of the amplicons in random order, block by block."""
    L, p = params.read_length, params.prefix_length
    tops, reps = amplicons.tops, amplicons.reps
    t1, t2 = _template_tails(tops, L, p) if tops else (None, None)
    lengths = np.array([len(t) for t in tops], dtype=np.int64)
    which = rng.permutation(np.repeat(np.arange(len(tops)), reps)) if tops else np.zeros(0, int)
    head = b"@RFSIM:1:000000000-SIM01:1:1101:"
    tail1 = f":{index} 1:N:0:{index}\n".encode()[:-1]
    tail2 = f":{index} 2:N:0:{index}\n".encode()[:-1]
    with open(r1_out, "wb") as f1, open(r2_out, "wb") as f2:
        for start in range(0, n, BLOCK):
            idx = which[start : start + BLOCK]
            s1, s2 = _block_bases(rng, idx, t1, t2, lengths, L, p)
            q1, q2 = profile.draw(rng, len(idx), L, params.quality_model)
            if params.errors:
                for s, q in ((s1, q1), (s2, q2)):
                    err = rng.random(s.shape, dtype=np.float32) < _ERROR_P[q]
                    k = int(err.sum())
                    if k:
                        s[err] = (s[err] + rng.integers(1, 4, size=k, dtype=np.uint8)) % 4
                    s[q <= 2] = 4
            f1.write(_compress(_fastq_block(s1, q1, start + 1, head, tail1), compresslevel))
            f2.write(_compress(_fastq_block(s2, q2, start + 1, head, tail2), compresslevel))


def _block_bases(rng, idx, t1, t2, lengths, L, p):
    """Base codes of a block of pairs: random prefix, the template read from each end,
    and on a short fragment the other end's random bases, then the adapter."""
    m = len(idx)
    pre1 = rng.integers(0, 4, size=(m, p), dtype=np.uint8)
    pre2 = rng.integers(0, 4, size=(m, p), dtype=np.uint8)
    s1 = np.concatenate([pre1, t1[idx]], axis=1)
    s2 = np.concatenate([pre2, t2[idx]], axis=1)
    short = lengths[idx] < L - p
    if short.any():
        for tlen in np.unique(lengths[idx][short]):
            rows = np.nonzero(lengths[idx] == tlen)[0]
            stop = min(L, p + tlen + p)
            cols = np.arange(p + tlen, stop)
            s1[np.ix_(rows, cols)] = 3 - pre2[rows][:, ::-1][:, : len(cols)]
            s2[np.ix_(rows, cols)] = 3 - pre1[rows][:, ::-1][:, : len(cols)]
    return s1, s2


# --------------------------------------------------------------------------------------
# Truth
# --------------------------------------------------------------------------------------


def _count_taxa(taxa: Iterable[Haplotype]) -> tuple[int, int, int]:
    """(orders, families, species) of a set of taxa: species-rank taxa plus genus-rank
    taxa whose genus has no species-rank taxon among them."""
    taxa = {h.taxon: h for h in taxa}.values()
    species_genera = {h.genus for h in taxa if h.rank == "species"}
    n_species = sum(1 for h in taxa if h.rank == "species") + len(
        {h.taxon for h in taxa if h.rank == "genus" and h.genus not in species_genera}
    )
    return len({h.order for h in taxa}), len({h.family for h in taxa}), n_species


def truth_tables(
    designs: Sequence[SampleDesign],
    haplotypes: Mapping[str, Haplotype],
    counts: Mapping[str, SampleCounts],
    min_reads: int = 10,
    min_fraction: float = 0.001,
) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """The truth: composition, tallies, sites (the dev-campaigns layout) and the design.

    A taxon is in a sample's truth when its simulated reads reach twice the detection
    limits (``min_reads`` and ``min_fraction`` of the sample's pairs); rarer designed taxa
    are only in the design table (``in_truth`` no). Controls are never in the truth.
    """
    composition, design_rows = [], []
    site_taxa: dict[tuple[str, str, str], dict[str, Haplotype]] = defaultdict(dict)
    basin_taxa: dict[tuple[str, str], dict[str, Haplotype]] = defaultdict(dict)
    for d in designs:
        c = counts[d.sample]
        per_taxon: dict[str, int] = defaultdict(int)
        for sp, _ in d.composition:
            if d.type == "sample":
                per_taxon[haplotypes[sp].taxon] += c.per_species.get(sp, 0)
        kept = {
            t
            for t, k in per_taxon.items()
            if k >= 2 * min_reads and k >= 2 * min_fraction * max(d.pairs, 1)
        }
        for sp, f in d.composition:
            h = haplotypes[sp]
            design_rows.append(
                {
                    "sample": d.sample,
                    "campaign": d.campaign,
                    "basin": d.basin,
                    "site": d.site,
                    "replicate": d.replicate,
                    "type": d.type,
                    "species": sp,
                    "relative_abundance": f"{f:.6g}",
                    "ref_id": h.ref_id,
                    "taxon": h.taxon,
                    "simulated_reads": c.per_species.get(sp, 0),
                    "in_truth": "yes" if h.taxon in kept else "no",
                }
            )
        by_taxon = {haplotypes[sp].taxon: haplotypes[sp] for sp, _ in d.composition}
        for t in sorted(kept):
            h = by_taxon[t]
            composition.append(
                {
                    "sample": d.sample,
                    "taxon": t,
                    "rank": h.rank,
                    "genus": h.genus,
                    "family": h.family,
                    "order": h.order,
                    "expected_reads": per_taxon[t],
                }
            )
            site_taxa[(d.basin, d.site, d.campaign)][t] = h
            basin_taxa[(d.basin, d.campaign)][t] = h
            basin_taxa[(d.basin, "ALL")][t] = h
    tallies = []
    for (basin, campaign), taxa in sorted(
        basin_taxa.items(), key=lambda kv: (kv[0][0], kv[0][1] == "ALL", kv[0][1])
    ):
        o, f, s = _count_taxa(taxa.values())
        tallies.append(
            {"basin": basin, "campaign": campaign, "n_orders": o, "n_families": f, "n_species": s}
        )
    sites = []
    for (basin, site, campaign), taxa in sorted(site_taxa.items()):
        sites.append(
            {
                "basin": basin,
                "site": site,
                "campaign": campaign,
                "n_species": _count_taxa(taxa.values())[2],
            }
        )
    return composition, tallies, sites, design_rows
