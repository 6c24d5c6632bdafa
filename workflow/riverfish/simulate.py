"""Simulate the MiSeq reads of a MiFish monitoring programme, with the truth to check against.

A mock community per sample (species and relative abundances, from a design table or
generated) becomes paired FASTQ files as a MiSeq run writes them: each read pair is an
amplicon ``random prefix + forward primer + insert + reverse complement of the reverse
primer + random suffix`` read from both ends, with substitution errors drawn from the
quality strings of a real run (the written qualities are the drawn ones). On top of the
design come PCR chimeras (two parents of the sample joined at a random breakpoint),
tag-jumps (reads of other samples of the campaign), primer dimers, a contaminant taxon that
fills the field blanks and reaches the samples at trace level, and reads running into the
sequencing adapter when the fragment is short.

Written into the output folder:

- ``reads/<sample>_S<n>_L001_R1_001.fastq.gz`` and ``..._R2_001.fastq.gz``;
- ``samples.tsv`` (the layout of ``../shared/data/dev-campaigns``) and one workflow sample
  sheet per campaign (``campaigns/<campaign>.tsv``), plus a ready ``config.yaml``;
- the truth: ``truth_composition.tsv``, ``truth_tallies.tsv``, ``truth_sites.tsv``;
- ``design.tsv`` (every designed taxon of every sample with its simulated reads, also
  those too rare to be in the truth) and ``simulated_reads.tsv`` (per sample: read pairs
  of each kind).

The taxon the truth names for a haplotype is what the reference database allows: the
haplotype is searched against the database (vsearch, as the workflow does) and the hits
within the classifier's margin of the best decide: one species, or ``Genus_sp`` when the
sequence is shared by congeners. Haplotypes the database cannot place within one genus are
not used. Everything is deterministic for a given seed (same bytes; gzip without time
stamps). Run ``python -m riverfish.simulate --help``.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from riverfish.errors import InputError, RiverfishError, ToolError
from riverfish.tools import run_tool

__all__ = [
    "COMMON_RIVER_FISH",
    "Haplotype",
    "QualityProfile",
    "SampleCounts",
    "SampleDesign",
    "SimParams",
    "aligned_pairs",
    "chimera",
    "choose_haplotypes",
    "close_pairs",
    "generate_design",
    "learn_quality_profile",
    "load_reference",
    "main",
    "place_haplotypes",
    "read_design",
    "simulate_campaign",
    "simulate_sample",
    "species_pool",
    "synthetic_quality_profile",
    "truth_tables",
]

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_PROFILE = SHARED / "runs" / "pmifish-sample" / "sample_S1_L001_R1_001.fastq.gz"

MIFISH_U_FORWARD = "GTCGGTAAAACTCGTGCCAGC"
MIFISH_U_REVERSE = "CATAGTGGGGTATCTAATCCCAGTTTG"
# Illumina TruSeq adapters, read after a fragment shorter than the read.
ADAPTER_R1 = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC"
ADAPTER_R2 = "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"

#: Fish of Japanese rivers (and their estuaries), most widespread first. Generated designs
#: draw from those found in the reference database whose haplotype the database places
#: within one genus and that differ from every earlier one by more than 3 %.
COMMON_RIVER_FISH: tuple[str, ...] = (
    "Zacco_platypus",
    "Cyprinus_carpio",
    "Carassius_auratus",
    "Nipponocypris_temminckii",
    "Pseudorasbora_parva",
    "Plecoglossus_altivelis",
    "Anguilla_japonica",
    "Misgurnus_anguillicaudatus",
    "Rhinogobius_flumineus",
    "Tribolodon_hakonensis",
    "Oncorhynchus_masou",
    "Gnathopogon_elongatus",
    "Odontobutis_obscura",
    "Silurus_asotus",
    "Cottus_pollux",
    "Mugil_cephalus",
    "Tridentiger_obscurus",
    "Gymnogobius_urotaenia",
    "Oryzias_latipes",
    "Pungtungia_herzi",
    "Pseudogobio_esocinus",
    "Sarcocheilichthys_variegatus",
    "Hemibarbus_barbus",
    "Hemibarbus_longirostris",
    "Squalidus_chankaensis",
    "Abbottina_rivularis",
    "Niwaella_delicata",
    "Cobitis_biwae",
    "Lefua_echigonia",
    "Barbatula_toni",
    "Tachysurus_nudiceps",
    "Tachysurus_tokiensis",
    "Liobagrus_reinii",
    "Oncorhynchus_mykiss",
    "Salvelinus_leucomaenis",
    "Lethenteron_japonicum",
    "Cottus_reinii",
    "Cottus_hangiongensis",
    "Cottus_kazika",
    "Gasterosteus_aculeatus",
    "Pungitius_sinensis",
    "Lateolabrax_japonicus",
    "Acanthogobius_flavimanus",
    "Micropterus_salmoides",
    "Micropterus_dolomieu",
    "Lepomis_macrochirus",
    "Channa_argus",
    "Coreoperca_kawamebari",
    "Gambusia_affinis",
    "Rhynchocypris_oxycephalus",
    "Rhynchocypris_lagowskii",
    "Opsariichthys_uncirostris",
    "Nipponocypris_sieboldii",
    "Pseudorasbora_pumila",
    "Gnathopogon_caerulescens",
    "Squalidus_gracilis",
    "Sarcocheilichthys_biwaensis",
    "Biwia_zezera",
    "Ischikauia_steenackeri",
    "Acheilognathus_tabira",
    "Acheilognathus_rhombeus",
    "Acheilognathus_cyanostigma",
    "Rhodeus_ocellatus",
    "Rhodeus_atremius",
    "Tanakia_lanceolata",
    "Tanakia_limbata",
    "Carassius_cuvieri",
    "Hypophthalmichthys_molitrix",
    "Ctenopharyngodon_idella",
    "Silurus_biwaensis",
    "Salmo_trutta",
    "Oncorhynchus_keta",
    "Hypomesus_nipponensis",
    "Salangichthys_microdon",
    "Rhinogobius_fluviatilis",
    "Tridentiger_brevispinis",
    "Gymnogobius_castaneus",
    "Sicyopterus_japonicus",
    "Eleotris_oxycephala",
    "Chaenogobius_annularis",
    "Leucopsarion_petersii",
    "Platichthys_stellatus",
    "Acanthopagrus_schlegelii",
    "Konosirus_punctatus",
    "Parahucho_perryi",
    "Oncorhynchus_nerka",
)

#: The food fish that contaminates field blanks (and, at trace level, samples).
DEFAULT_CONTAMINANT = "Sardinops_melanostictus"

BASIN_NAMES = ("Asagawa", "Himekawa", "Kurose", "Mizunami", "Oyabe", "Sakaori", "Tomari")
SEASONS = ("spring", "autumn")

# Base codes of the read matrices: A C G T N, and a placeholder filled per read.
_CODES = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate(b"ACGTN"):
    _CODES[_b] = _i
_PLACEHOLDER = 5
_CODES[ord("X")] = _PLACEHOLDER
_LETTERS = np.frombuffer(b"ACGTNN", dtype=np.uint8)
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")
# Reads of a sample are made in blocks of this many pairs (bounded memory, same bytes
# whatever the number of worker processes).
BLOCK = 100_000


def revcomp(seq: str) -> str:
    """Reverse complement of an A/C/G/T/N sequence."""
    return seq.translate(_COMPLEMENT)[::-1]


# --------------------------------------------------------------------------------------
# Settings and designs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimParams:
    """How reads are made (rates are fractions of a sample's read pairs)."""

    read_length: int = 150
    prefix_length: int = 6
    forward: str = MIFISH_U_FORWARD
    reverse: str = MIFISH_U_REVERSE
    chimera_rate: float = 0.02
    tag_jump_rate: float = 0.003
    dimer_rate: float = 0.005
    contaminant_trace: float = 0.0002
    contaminant: str = DEFAULT_CONTAMINANT
    errors: bool = True
    quality_model: str = "pairs"  # or "positions" (see QualityProfile.draw)

    def check(self) -> None:
        if self.read_length < 50:
            raise InputError(f"read length {self.read_length} is too short (at least 50)")
        if not 0 <= self.prefix_length <= 6:
            raise InputError(f"prefix length {self.prefix_length}: expected 0 to 6 bases")
        for name in ("forward", "reverse"):
            primer = getattr(self, name).upper()
            if not primer or set(primer) - set("ACGT"):
                raise InputError(
                    f"{name} primer {primer!r}: the simulator needs a concrete A/C/G/T primer",
                    hint="give one variant of a degenerate primer (e.g. MiFish-U)",
                )
        rates = ("chimera_rate", "tag_jump_rate", "dimer_rate", "contaminant_trace")
        for name in rates:
            if not 0.0 <= getattr(self, name) < 0.5:
                raise InputError(f"{name} = {getattr(self, name)}: expected a fraction < 0.5")
        if self.quality_model not in ("pairs", "positions"):
            raise InputError(f"quality model {self.quality_model!r}: 'pairs' or 'positions'")
        if sum(getattr(self, n) for n in rates) >= 0.5:
            raise InputError(
                "chimeras, tag-jumps, dimers and trace contaminant exceed half the reads"
            )


@dataclass(frozen=True)
class SampleDesign:
    """One sample of the design: where it comes from and its mock community."""

    sample: str
    campaign: str
    basin: str
    site: str
    replicate: int
    type: str = "sample"  # sample or a negative control type
    site_role: str = ""
    pairs: int = 0
    composition: tuple[tuple[str, float], ...] = ()  # (species, relative abundance)


@dataclass(frozen=True)
class Haplotype:
    """The reference sequence used for a species and the taxon the truth names for it."""

    species: str  # the species of the design
    ref_id: str
    sequence: str
    taxon: str  # Genus_species, or Genus_sp when the sequence is shared by congeners
    rank: str  # species or genus
    genus: str
    family: str
    order: str


@dataclass(frozen=True)
class QualityProfile:
    """Phred qualities of real read pairs (rows of R1 and R2 belong together)."""

    r1: np.ndarray  # (pairs, read length) uint8
    r2: np.ndarray
    source: str = ""

    @property
    def length(self) -> int:
        return int(self.r1.shape[1])

    def expected_error_rate(self) -> float:
        """Mean error probability of a base (both mates), from the Phred scores."""
        q = np.concatenate([self.r1.ravel(), self.r2.ravel()]).astype(np.float64)
        return float(np.mean(10.0 ** (-q / 10.0)))

    def position_distribution(self, mate: int = 1) -> np.ndarray:
        """Frequency of each Phred score (columns 0-93) at each read position (rows)."""
        q = self.r1 if mate == 1 else self.r2
        counts = np.zeros((q.shape[1], 94), dtype=np.float64)
        for j in range(q.shape[1]):
            counts[j] = np.bincount(q[:, j], minlength=94)[:94]
        return counts / q.shape[0]

    def draw(
        self, rng: np.random.Generator, n: int, length: int, model: str = "pairs"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Quality matrices (n x length) of R1 and R2.

        ``pairs``: the quality strings of a random real read pair (keeps the correlation
        along a read and between mates); ``positions``: each position drawn on its own from
        that position's distribution.
        """
        if model == "pairs":
            pick = rng.integers(0, self.r1.shape[0], size=n)
            return self.r1[pick, :length], self.r2[pick, :length]
        if model != "positions":
            raise InputError(f"unknown quality model {model!r}: 'pairs' or 'positions'")
        out = []
        for q in (self.r1, self.r2):
            rows = rng.integers(0, q.shape[0], size=(n, length))  # per position on its own
            out.append(np.take_along_axis(q[:, :length], rows, axis=0))
        return out[0], out[1]


NEGATIVE_CONTROL_TYPES = ("field_blank", "extraction_blank", "pcr_negative")


# --------------------------------------------------------------------------------------
# Quality profiles
# --------------------------------------------------------------------------------------


def learn_quality_profile(
    r1: str | os.PathLike, r2: str | os.PathLike | None = None, length: int = 150
) -> QualityProfile:
    """Quality strings of a real run's read pairs, cut to ``length``.

    Reads shorter than ``length`` are left out. ``r2`` defaults to ``r1`` with ``_R1``
    replaced by ``_R2`` when that file exists, else R1's qualities serve both mates.
    Simulated reads draw whole pairs of quality strings, which keeps the per-position
    distribution of each mate and the correlation along a read and between mates.
    """
    import dnaio

    r1 = Path(r1)
    if r2 is None:
        guess = Path(str(r1).replace("_R1", "_R2"))
        r2 = guess if guess != r1 and guess.is_file() else None
    rows1: list[bytes] = []
    rows2: list[bytes] = []
    try:
        if r2 is not None:
            with dnaio.open(r1, file2=r2) as reader:
                for a, b in reader:
                    if len(a.qualities) >= length and len(b.qualities) >= length:
                        rows1.append(a.qualities[:length].encode("ascii"))
                        rows2.append(b.qualities[:length].encode("ascii"))
        else:
            with dnaio.open(r1) as reader:
                for a in reader:
                    if len(a.qualities) >= length:
                        rows1.append(a.qualities[:length].encode("ascii"))
            rows2 = rows1
    except (OSError, EOFError, dnaio.FileFormatError) as exc:
        raise InputError(f"cannot read the quality profile FASTQ ({exc})", path=r1) from None
    if len(rows1) < 100:
        raise InputError(
            f"only {len(rows1)} reads of at least {length} bases in the quality profile",
            path=r1,
            hint="give a FASTQ of a run with reads as long as --read-length",
        )
    q1 = np.frombuffer(b"".join(rows1), dtype=np.uint8).reshape(-1, length) - 33
    q2 = np.frombuffer(b"".join(rows2), dtype=np.uint8).reshape(-1, length) - 33
    return QualityProfile(q1.copy(), q2.copy(), source=str(r1))


def synthetic_quality_profile(length: int = 150, pairs: int = 2000) -> QualityProfile:
    """A MiSeq-like profile without data: Q37 falling to ~Q30 towards the 3' end (R2
    lower), each read with its own offset. Always the same values."""
    rng = np.random.default_rng(20150701)
    pos = np.arange(length) / max(length - 1, 1)
    profiles = []
    for drop in (7.0, 11.0):
        offset = rng.normal(0.0, 2.0, size=(pairs, 1))
        noise = rng.normal(0.0, 1.5, size=(pairs, length))
        q = 37.5 - drop * pos**2 + offset + noise
        profiles.append(np.clip(np.rint(q), 2, 41).astype(np.uint8))
    return QualityProfile(profiles[0], profiles[1], source="synthetic")


def _error_thresholds() -> np.ndarray:
    """Per Phred score, the error probability as float32 (for comparing with uniforms)."""
    q = np.arange(256, dtype=np.float64)
    return (10.0 ** (-q / 10.0)).astype(np.float32)


_ERROR_P = _error_thresholds()


# --------------------------------------------------------------------------------------
# Reference haplotypes and the truth taxon of each
# --------------------------------------------------------------------------------------


def _find_vsearch(vsearch: str | None) -> str:
    found = vsearch or shutil.which("vsearch")
    if not found:
        beside = Path(sys.executable).parent / "vsearch"
        found = str(beside) if beside.is_file() else None
    if not found:
        raise ToolError("vsearch is not on PATH; it is needed to place the haplotypes")
    return found


def load_reference(
    fasta: str | os.PathLike,
    lineage: str | os.PathLike,
    family_table: str | os.PathLike | None = None,
):
    """The records of the reference database as the workflow builds it."""
    from riverfish import refdb

    curated = Path(__file__).resolve().parents[2] / "reference_db"
    return refdb.build_database(
        fasta,
        lineage,
        family_table_path=family_table,
        name_fixes_path=curated / "name_fixes.tsv",
        family_orders_path=curated / "family_orders.tsv",
    ).records


def choose_haplotypes(
    records: Sequence, species: Iterable[str], min_length: int = 130, max_length: int = 220
) -> dict[str, object]:
    """One reference record per species: its most frequent A/C/G/T sequence within the
    length window (ties: the smallest ref_id). Species without one are left out."""
    wanted = set(species)
    seqs: dict[str, Counter] = defaultdict(Counter)
    first: dict[tuple[str, str], object] = {}
    for rec in records:
        sp = rec.species
        if sp not in wanted:
            continue
        seq = rec.sequence.upper()
        if set(seq) - set("ACGT") or not min_length <= len(seq) <= max_length:
            continue
        seqs[sp][seq] += 1
        key = (sp, seq)
        if key not in first or rec.ref_id < first[key].ref_id:
            first[key] = rec
    chosen = {}
    for sp, counter in seqs.items():
        best = max(counter.values())
        candidates = [first[(sp, s)] for s, n in counter.items() if n == best]
        chosen[sp] = min(candidates, key=lambda r: r.ref_id)
    return chosen


def _vsearch_pairs(
    vsearch: str,
    queries: Mapping[str, str],
    targets: Mapping[str, str],
    min_identity: float,
    tmp: Path,
) -> list[tuple[str, str, float]]:
    """(query, target, identity %) of every hit >= min_identity (%), both strands."""
    qfa, dfa, out = tmp / "q.fasta", tmp / "db.fasta", tmp / "hits.tsv"
    qfa.write_text("".join(f">{k}\n{v}\n" for k, v in queries.items()))
    dfa.write_text("".join(f">{k}\n{v}\n" for k, v in targets.items()))
    cmd = [
        vsearch,
        "--usearch_global",
        str(qfa),
        "--db",
        str(dfa),
        "--id",
        f"{min_identity / 100:.4f}",
        "--maxaccepts",
        "0",
        # targets are tried by decreasing k-mer similarity: every hit this close comes
        # long before 256 rejected ones
        "--maxrejects",
        "256",
        "--strand",
        "both",
        "--userfields",
        "query+target+id",
        "--userout",
        str(out),
        "--threads",
        "1",
        "--quiet",
    ]
    run_tool(cmd, "vsearch --usearch_global")
    hits = []
    for line in out.read_text().splitlines():
        q, t, ident = line.split("\t")
        hits.append((q, t, float(ident)))
    return hits


def place_haplotypes(
    chosen: Mapping[str, object],
    records: Sequence,
    margin: float = 0.5,
    vsearch: str | None = None,
) -> tuple[dict[str, Haplotype], dict[str, str]]:
    """The taxon the workflow can name for each chosen haplotype.

    The haplotype is searched against every reference record; the hits within ``margin``
    percentage points of the best are the near-best. All of one species: that species;
    all of one genus: ``Genus_sp``. Returns (placed haplotypes, species -> reason for
    those that cannot be placed within a genus).
    """
    vsearch = _find_vsearch(vsearch)
    by_id = {rec.ref_id: rec for rec in records}
    queries = {sp: rec.sequence.upper() for sp, rec in chosen.items()}
    if not queries:
        return {}, {}
    floor = max(50.0, 100.0 - margin - 1.0)
    with tempfile.TemporaryDirectory(prefix="riverfish-sim.") as tmp:
        targets = {rec.ref_id: rec.sequence for rec in records}
        hits = _vsearch_pairs(vsearch, queries, targets, floor, Path(tmp))
    per_query: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for q, t, ident in hits:
        per_query[q].append((t, ident))
    placed: dict[str, Haplotype] = {}
    rejected: dict[str, str] = {}
    for sp, rec in chosen.items():
        found = per_query.get(sp, [])
        if not found:
            rejected[sp] = "no hit in the reference database"
            continue
        best = max(i for _, i in found)
        near = [by_id[t] for t, i in found if i >= best - margin - 1e-9]
        species = {r.species for r in near}
        genera = {r.genus for r in near}
        if len(species) == 1 and None not in species and best >= 98.5:
            taxon, rank = rec.species, "species"
        elif len(genera) == 1 and "" not in genera and None not in genera:
            taxon, rank = f"{rec.genus}_sp", "genus"
        else:
            names = sorted({r.label for r in near})
            rejected[sp] = f"the closest references name no single genus ({', '.join(names[:5])})"
            continue
        placed[sp] = Haplotype(
            species=sp,
            ref_id=rec.ref_id,
            sequence=rec.sequence.upper(),
            taxon=taxon,
            rank=rank,
            genus=rec.genus,
            family=rec.family,
            order=rec.order,
        )
    return placed, rejected


def aligned_pairs(
    haplotypes: Mapping[str, Haplotype], species: Iterable[str], vsearch: str | None = None
) -> dict[tuple[str, str], tuple[str, str]]:
    """Global alignments of every pair of the species' haplotypes: (a, b) -> the rows of a
    and b with gaps, of equal length. PCR chimeras join two parents at a homologous
    position, so breakpoints are chosen on these rows."""
    names = sorted(set(species))
    if len(names) < 2:
        return {}
    vsearch = _find_vsearch(vsearch)
    with tempfile.TemporaryDirectory(prefix="riverfish-sim.") as tmp:
        fa, out = Path(tmp) / "haps.fasta", Path(tmp) / "aln.tsv"
        fa.write_text("".join(f">{n}\n{haplotypes[n].sequence}\n" for n in names))
        cmd = [
            vsearch,
            "--allpairs_global",
            str(fa),
            "--acceptall",
            "--userfields",
            "query+target+qrow+trow",
            "--userout",
            str(out),
            "--threads",
            "1",
            "--quiet",
        ]
        run_tool(cmd, "vsearch --allpairs_global")
        rows: dict[tuple[str, str], tuple[str, str]] = {}
        for line in out.read_text().splitlines():
            q, t, qrow, trow = line.split("\t")
            rows[(q, t)] = (qrow, trow)
            rows[(t, q)] = (trow, qrow)
    return rows


def chimera(a: str, b: str, cut: float, rows: tuple[str, str] | None = None) -> str:
    """The start of ``a`` joined to the rest of ``b`` at ``cut`` (0-1) of their alignment
    (``rows``, see :func:`aligned_pairs`); without an alignment at ``cut`` of each length."""
    if rows is None:
        return a[: round(cut * len(a))] + b[round(cut * len(b)) :]
    ra, rb = rows
    c = round(cut * len(ra))
    return (ra[:c] + rb[c:]).replace("-", "")


def close_pairs(
    haplotypes: Mapping[str, Haplotype], min_identity: float = 97.0, vsearch: str | None = None
) -> list[tuple[str, str, float]]:
    """Pairs of haplotypes (different sequences or different taxa) at >= min_identity %.

    Denoising may merge such a pair when one is much rarer than the other, and reads map
    to the nearest ASV at 97 %, so they are kept apart in generated designs.
    """
    vsearch = _find_vsearch(vsearch)
    seqs = {sp: h.sequence for sp, h in haplotypes.items()}
    if len(seqs) < 2:
        return []
    with tempfile.TemporaryDirectory(prefix="riverfish-sim.") as tmp:
        hits = _vsearch_pairs(vsearch, seqs, seqs, min_identity, Path(tmp))
    pairs = set()
    for q, t, ident in hits:
        if q == t:
            continue
        same = haplotypes[q].sequence == haplotypes[t].sequence
        if same and haplotypes[q].taxon == haplotypes[t].taxon:
            continue
        a, b = sorted((q, t))
        pairs.add((a, b, ident))
    return sorted(pairs)


def species_pool(
    haplotypes: Mapping[str, Haplotype],
    order: Sequence[str],
    min_identity: float = 97.0,
    vsearch: str | None = None,
) -> list[str]:
    """Species of ``order`` (that have a placed haplotype) kept when each differs from every
    species kept before it by more than ``100 - min_identity`` % and names another taxon."""
    candidates = [sp for sp in order if sp in haplotypes]
    conflicts: dict[str, set[str]] = defaultdict(set)
    for a, b, _ in close_pairs({sp: haplotypes[sp] for sp in candidates}, min_identity, vsearch):
        conflicts[a].add(b)
        conflicts[b].add(a)
    kept: list[str] = []
    taxa: set[str] = set()
    for sp in candidates:
        h = haplotypes[sp]
        if conflicts[sp] & set(kept) or h.taxon in taxa:
            continue
        kept.append(sp)
        taxa.add(h.taxon)
    return kept


# --------------------------------------------------------------------------------------
# Designs
# --------------------------------------------------------------------------------------


def split_pairs(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` read pairs in proportion to ``weights`` (largest remainders)."""
    w = np.asarray(weights, dtype=np.float64)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    rest = int(total - base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return [int(x) for x in base]


def _campaign_names(n: int) -> list[str]:
    return [f"{2025 + i // 2}-{SEASONS[i % 2]}" for i in range(n)]


def generate_design(
    pool: Sequence[str],
    n_samples: int,
    total_pairs: int,
    seed: int = 1,
    campaigns: int | None = None,
    basins: int | None = None,
    replicates: int = 2,
    species_per_site: int = 8,
    blank_fraction: float = 0.05,
    min_reads: int = 10,
    min_fraction: float = 0.001,
    contaminant: str = DEFAULT_CONTAMINANT,
) -> list[SampleDesign]:
    """A monitoring programme of ``n_samples`` samples (one field blank per basin and
    campaign among them) sharing ``total_pairs`` read pairs.

    Basins have sites (the first is the upstream reference), each sampled in every
    campaign with ``replicates`` field replicates; a site's species come from its basin's
    species and change a little between campaigns; replicates share the species with
    different abundances. Every designed taxon gets at least five times the detection
    limits (``min_reads`` reads, ``min_fraction`` of the sample), so that the truth is the
    design. Field samples differ in depth (log-normal, sd 0.25); a blank gets
    ``blank_fraction`` of a mean sample.
    """
    if campaigns is None:
        campaigns = 2 if n_samples >= 8 else 1
    if basins is None:
        basins = 2 if n_samples >= 8 else 1
    if basins > len(BASIN_NAMES):
        raise InputError(f"at most {len(BASIN_NAMES)} basins can be generated")
    n_blanks = campaigns * basins
    n_field = n_samples - n_blanks
    if n_field < 1:
        raise InputError(
            f"{n_samples} samples leave no field sample beside {n_blanks} blanks "
            f"({campaigns} campaign(s) x {basins} basin(s))",
            hint="ask for more samples, or fewer campaigns or basins",
        )
    if len(pool) < 2:
        raise InputError("fewer than 2 species are available for the design")
    rng = np.random.default_rng([seed, 0x5EED])
    campaign_names = _campaign_names(campaigns)
    basin_names = list(BASIN_NAMES[:basins])
    slots = split_pairs(n_field, [1.0] * (campaigns * basins))
    per_slot = {
        (c, b): slots[i * basins + j]
        for i, c in enumerate(campaign_names)
        for j, b in enumerate(basin_names)
    }
    n_sites = {
        b: max(1, math.ceil(max(per_slot[(c, b)] for c in campaign_names) / replicates))
        for b in basin_names
    }

    # depths first: the abundance floor of a sample depends on its reads
    skeleton: list[tuple[str, str, str, int, str]] = []  # campaign, basin, site, rep, type
    for c in campaign_names:
        for b in basin_names:
            left = per_slot[(c, b)]
            for s in range(n_sites[b]):
                for r in range(1, replicates + 1):
                    if left == 0:
                        break
                    skeleton.append((c, b, f"{b[:2].upper()}-s{s + 1:02d}", r, "sample"))
                    left -= 1
            skeleton.append((c, b, f"{b}-blank", 1, "field_blank"))
    weights = [
        float(np.exp(rng.normal(0.0, 0.25))) if kind == "sample" else blank_fraction
        for *_, kind in skeleton
    ]
    pairs = split_pairs(total_pairs, weights)

    # communities: basin species, then site species per campaign
    basin_pool = {
        b: [pool[i] for i in sorted(rng.choice(len(pool), min(len(pool), 30), replace=False))]
        for b in basin_names
    }
    min_pairs = min(p for p, (*_, kind) in zip(pairs, skeleton, strict=True) if kind == "sample")
    floor_all = max(5 * min_fraction, 5 * min_reads / max(min_pairs, 1))
    k_cap = max(1, int(0.6 / floor_all))
    site_species: dict[tuple[str, str], list[str]] = {}
    site_weights: dict[tuple[str, str], dict[str, float]] = {}
    for b in basin_names:
        for s in range(n_sites[b]):
            site = f"{b[:2].upper()}-s{s + 1:02d}"
            bp = basin_pool[b]
            k = int(np.clip(species_per_site + rng.integers(-3, 4), 1, min(len(bp), k_cap)))
            chosen = [bp[i] for i in sorted(rng.choice(len(bp), k, replace=False))]
            for i, c in enumerate(campaign_names):
                if i > 0:
                    chosen = list(chosen)
                    if len(chosen) > 1 and rng.random() < 0.4:
                        chosen.pop(int(rng.integers(len(chosen))))
                    absent = [x for x in bp if x not in chosen]
                    if absent and len(chosen) < k_cap and rng.random() < 0.5:
                        chosen.append(absent[int(rng.integers(len(absent)))])
                site_species[(c, site)] = list(chosen)
            site_weights[(b, site)] = {
                sp: float(np.exp(rng.normal(0.0, 1.0))) for sp in sorted(set(bp))
            }

    designs = []
    for (c, b, site, rep, kind), n in zip(skeleton, pairs, strict=True):
        if kind == "sample":
            species = site_species[(c, site)]
            w = np.array([site_weights[(b, site)][sp] for sp in species])
            w = w * np.exp(rng.normal(0.0, 0.3, size=len(w)))
            floor = max(5 * min_fraction, 5 * min_reads / max(n, 1))
            floor = min(floor, 0.6 / len(species))
            frac = floor + (1.0 - floor * len(species)) * w / w.sum()
            comp = tuple((sp, round(float(f), 6)) for sp, f in zip(species, frac, strict=True))
            name = f"{site}_{c}_r{rep}"
            role = "reference" if site.endswith("-s01") else ""
        else:
            comp = ((contaminant, 1.0),)
            name = f"{site}_{c}"
            role = ""
        designs.append(
            SampleDesign(
                sample=name,
                campaign=c,
                basin=b,
                site=site,
                replicate=rep,
                type=kind,
                site_role=role,
                pairs=n,
                composition=comp,
            )
        )
    return designs


DESIGN_COLUMNS = ("basin", "site", "campaign", "replicate", "taxon", "relative_abundance")


def read_design(
    path: str | os.PathLike,
    pairs_per_sample: int,
    blank_fraction: float = 0.05,
    contaminant: str = DEFAULT_CONTAMINANT,
) -> list[SampleDesign]:
    """Read a design table (TSV): one row per sample and taxon.

    Columns basin, site, campaign, replicate, taxon, relative_abundance; optional type
    (``sample`` default, or a negative control type), site_role, sample (name; default
    ``<site>_<campaign>_r<replicate>``, for a control ``<site>_<campaign>``) and pairs
    (read pairs of the sample; default ``pairs_per_sample``, a control
    ``blank_fraction`` of it). A control row may leave taxon empty; a control always holds
    the contaminant. Abundances are normalised per sample. Samples keep the table's order.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
            header = rows[0].keys() if rows else []
    except OSError as exc:
        raise InputError(f"cannot read the design ({exc})", path=path) from None
    missing = [c for c in DESIGN_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"the design lacks the column(s) {', '.join(missing)}",
            path=path,
            line=1,
            hint=f"columns: {', '.join(DESIGN_COLUMNS)} (tab-separated)",
        )
    samples: dict[str, dict] = {}
    for lineno, row in enumerate(rows, start=2):
        kind = (row.get("type") or "sample").strip()
        if kind not in ("sample", *NEGATIVE_CONTROL_TYPES):
            raise InputError(f"unknown type {kind!r}", path=path, line=lineno)
        try:
            rep = int(row["replicate"])
        except ValueError:
            raise InputError(
                f"replicate {row['replicate']!r} is not a whole number", path=path, line=lineno
            ) from None
        site, campaign = row["site"].strip(), row["campaign"].strip()
        default = f"{site}_{campaign}_r{rep}" if kind == "sample" else f"{site}_{campaign}"
        name = (row.get("sample") or "").strip() or default
        entry = samples.setdefault(
            name,
            {
                "campaign": campaign,
                "basin": row["basin"].strip(),
                "site": site,
                "replicate": rep,
                "type": kind,
                "site_role": (row.get("site_role") or "").strip(),
                "pairs": None,
                "composition": {},
            },
        )
        if (row.get("pairs") or "").strip():
            entry["pairs"] = int(row["pairs"])
        taxon = (row.get("taxon") or "").strip()
        if not taxon:
            if kind == "sample":
                raise InputError("a sample row without taxon", path=path, line=lineno)
            continue
        try:
            abundance = float(row["relative_abundance"])
        except ValueError:
            raise InputError(
                f"relative_abundance {row['relative_abundance']!r} is not a number",
                path=path,
                line=lineno,
            ) from None
        if abundance <= 0:
            raise InputError("relative_abundance must be > 0", path=path, line=lineno)
        entry["composition"][taxon] = entry["composition"].get(taxon, 0.0) + abundance
    designs = []
    for name, e in samples.items():
        comp = dict(e["composition"])
        if e["type"] != "sample":
            comp = {contaminant: 1.0, **{k: v for k, v in comp.items() if k != contaminant}}
        total = sum(comp.values())
        n = e["pairs"]
        if n is None:
            n = (
                pairs_per_sample
                if e["type"] == "sample"
                else round(pairs_per_sample * blank_fraction)
            )
        designs.append(
            SampleDesign(
                sample=name,
                campaign=e["campaign"],
                basin=e["basin"],
                site=e["site"],
                replicate=e["replicate"],
                type=e["type"],
                site_role=e["site_role"],
                pairs=int(n),
                composition=tuple((k, v / total) for k, v in comp.items()),
            )
        )
    return designs


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
    L, p = params.read_length, params.prefix_length
    fwd, rc_rev = params.forward.upper(), revcomp(params.reverse.upper())
    counts = SampleCounts(sample=design.sample, pairs=n)
    comp = [(sp, f) for sp, f in design.composition if f > 0]
    if not comp and n:
        raise InputError(f"sample {design.sample}: no taxon with an abundance above 0")
    field_sample = design.type == "sample"
    n_dimer = int(rng.binomial(n, params.dimer_rate))
    n_chim = int(rng.binomial(n, params.chimera_rate)) if len(comp) > 1 else 0
    n_jump = int(rng.binomial(n, params.tag_jump_rate)) if jump_mixture else 0
    n_cont = int(rng.binomial(n, params.contaminant_trace)) if field_sample else 0
    n_true = n - n_dimer - n_chim - n_jump - n_cont
    if n_true < 0:  # tiny samples
        n_dimer, n_chim, n_jump, n_cont, n_true = 0, 0, 0, 0, n

    tops: list[str] = []
    reps: list[int] = []

    def insert_of(sp: str) -> str:
        try:
            return haplotypes[sp].sequence
        except KeyError:
            raise InputError(f"species {sp!r} has no haplotype") from None

    true_counts = _multinomial(rng, n_true, [f for _, f in comp]) if comp else np.zeros(0, int)
    for (sp, _), k in zip(comp, true_counts, strict=True):
        counts.per_species[sp] = counts.per_species.get(sp, 0) + int(k)
        if k:
            tops.append(fwd + insert_of(sp) + rc_rev)
            reps.append(int(k))
    if n_cont:
        tops.append(fwd + insert_of(params.contaminant) + rc_rev)
        reps.append(n_cont)
    if n_jump:
        jump_counts = _multinomial(rng, n_jump, [f for _, f in jump_mixture])
        for (sp, _), k in zip(jump_mixture, jump_counts, strict=True):
            if k:
                tops.append(fwd + insert_of(sp) + rc_rev)
                reps.append(int(k))
    if n_dimer:
        tops.append(fwd + rc_rev)
        reps.append(n_dimer)
    if n_chim:
        probs = np.array([f for _, f in comp], dtype=np.float64)
        probs /= probs.sum()
        a = rng.choice(len(comp), size=n_chim, p=probs)
        b = rng.choice(len(comp), size=n_chim, p=probs)
        while (same := a == b).any():
            b[same] = rng.choice(len(comp), size=int(same.sum()), p=probs)
        cut = rng.uniform(0.15, 0.85, size=n_chim)
        for i in range(n_chim):
            pa, pb = comp[a[i]][0], comp[b[i]][0]
            rows = (alignments or {}).get((pa, pb))
            tops.append(fwd + chimera(insert_of(pa), insert_of(pb), cut[i], rows) + rc_rev)
            reps.append(1)
    counts.true, counts.chimeras, counts.tag_jumps = n_true, n_chim, n_jump
    counts.dimers, counts.contaminant = n_dimer, n_cont

    t1, t2 = _template_tails(tops, L, p) if tops else (None, None)
    lengths = np.array([len(t) for t in tops], dtype=np.int64)
    which = rng.permutation(np.repeat(np.arange(len(tops)), reps)) if tops else np.zeros(0, int)
    head = b"@RFSIM:1:000000000-SIM01:1:1101:"
    tail1 = f":{index} 1:N:0:{index}\n".encode()[:-1]
    tail2 = f":{index} 2:N:0:{index}\n".encode()[:-1]
    with open(r1_out, "wb") as f1, open(r2_out, "wb") as f2:
        for start in range(0, n, BLOCK):
            idx = which[start : start + BLOCK]
            m = len(idx)
            pre1 = rng.integers(0, 4, size=(m, p), dtype=np.uint8)
            pre2 = rng.integers(0, 4, size=(m, p), dtype=np.uint8)
            s1 = np.concatenate([pre1, t1[idx]], axis=1)
            s2 = np.concatenate([pre2, t2[idx]], axis=1)
            short = lengths[idx] < L - p
            if short.any():  # the other end's random bases, then the adapter
                for tlen in np.unique(lengths[idx][short]):
                    rows = np.nonzero(lengths[idx] == tlen)[0]
                    stop = min(L, p + tlen + p)
                    cols = np.arange(p + tlen, stop)
                    s1[np.ix_(rows, cols)] = 3 - pre2[rows][:, ::-1][:, : len(cols)]
                    s2[np.ix_(rows, cols)] = 3 - pre1[rows][:, ::-1][:, : len(cols)]
            q1, q2 = profile.draw(rng, m, L, params.quality_model)
            if params.errors:
                for s, q in ((s1, q1), (s2, q2)):
                    err = rng.random(s.shape, dtype=np.float32) < _ERROR_P[q]
                    k = int(err.sum())
                    if k:
                        s[err] = (s[err] + rng.integers(1, 4, size=k, dtype=np.uint8)) % 4
                    s[q <= 2] = 4
            f1.write(_compress(_fastq_block(s1, q1, start + 1, head, tail1), compresslevel))
            f2.write(_compress(_fastq_block(s2, q2, start + 1, head, tail2), compresslevel))
    return counts


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


# --------------------------------------------------------------------------------------
# A whole campaign set
# --------------------------------------------------------------------------------------


def _write_tsv(path: Path, rows: Sequence[Mapping], columns: Sequence[str]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(columns) + "\n")
        for r in rows:
            fh.write("\t".join(str(r.get(c, "")) for c in columns) + "\n")
    os.replace(tmp, path)


def _jump_mixtures(designs: Sequence[SampleDesign]) -> dict[str, list[tuple[str, float]]]:
    """Per sample: the species composition of the other samples' reads of its campaign."""
    by_campaign: dict[str, list[SampleDesign]] = defaultdict(list)
    for d in designs:
        by_campaign[d.campaign].append(d)
    out = {}
    for group in by_campaign.values():
        totals: dict[str, float] = defaultdict(float)
        for d in group:
            for sp, f in d.composition:
                totals[sp] += f * d.pairs
        for d in group:
            mix = dict(totals)
            for sp, f in d.composition:
                mix[sp] -= f * d.pairs
            out[d.sample] = [(sp, w) for sp, w in sorted(mix.items()) if w > 1e-9]
    return out


_WORKER: dict = {}


def _init_worker(state: dict) -> None:
    _WORKER.update(state)


def _simulate_one(job: tuple) -> SampleCounts:
    design, index, mixture, r1, r2 = job
    w = _WORKER
    return simulate_sample(
        design,
        index,
        w["haplotypes"],
        mixture,
        w["profile"],
        w["params"],
        w["seed"],
        r1,
        r2,
        w["compresslevel"],
        w["alignments"],
    )


def _config_for(base: Mapping, sheets: Mapping[str, Path], params: SimParams) -> dict:
    """The base configuration with the simulated campaigns and absolute reference paths."""
    import copy

    cfg = copy.deepcopy(dict(base))
    cfg["campaigns"] = {c: str(p) for c, p in sheets.items()}
    ref = dict(cfg.get("reference", {}))
    for key in ("fasta", "lineage", "family_table", "common_names"):
        if ref.get(key):
            path = Path(ref[key])
            ref[key] = os.path.normpath(path if path.is_absolute() else ROOT / path)
    cfg["reference"] = ref
    primers = dict(cfg.get("primers", {}))
    primers.update(forward=params.forward.upper(), reverse=params.reverse.upper())
    primers["random_prefix_max"] = max(
        int(primers.get("random_prefix_max", 6)), params.prefix_length
    )
    cfg["primers"] = primers
    return cfg


def simulate_campaign(
    designs: Sequence[SampleDesign],
    haplotypes: Mapping[str, Haplotype],
    profile: QualityProfile,
    params: SimParams,
    out: str | os.PathLike,
    base_config: Mapping,
    seed: int = 1,
    threads: int = 1,
    compresslevel: int = 1,
    min_reads: int = 10,
    min_fraction: float = 0.001,
    vsearch: str | None = None,
) -> dict[str, SampleCounts]:
    """Write the reads, sheets, config and truth of a design into ``out``."""
    import yaml

    params.check()
    if profile.length < params.read_length:
        raise InputError(
            f"the quality profile has reads of {profile.length} bases, "
            f"shorter than the read length {params.read_length}"
        )
    names = [d.sample for d in designs]
    if len(set(names)) != len(names):
        dup = sorted({x for x in names if names.count(x) > 1})
        raise InputError(f"sample names occur more than once: {', '.join(dup[:5])}")
    out = Path(out).resolve()
    reads = out / "reads"
    reads.mkdir(parents=True, exist_ok=True)
    (out / "campaigns").mkdir(exist_ok=True)
    mixtures = _jump_mixtures(designs)
    jobs, files = [], {}
    for i, d in enumerate(designs, start=1):
        r1 = reads / f"{d.sample}_S{i}_L001_R1_001.fastq.gz"
        r2 = reads / f"{d.sample}_S{i}_L001_R2_001.fastq.gz"
        files[d.sample] = (r1, r2)
        jobs.append((d, i, mixtures[d.sample], str(r1), str(r2)))
    in_samples = {sp for d in designs if d.type == "sample" for sp, _ in d.composition}
    state = {
        "alignments": aligned_pairs(haplotypes, in_samples, vsearch),
        "haplotypes": dict(haplotypes),
        "profile": profile,
        "params": params,
        "seed": seed,
        "compresslevel": compresslevel,
    }
    if threads > 1 and len(jobs) > 1:
        import multiprocessing

        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        with ProcessPoolExecutor(
            threads, mp_context=ctx, initializer=_init_worker, initargs=(state,)
        ) as ex:
            results = list(ex.map(_simulate_one, jobs, chunksize=1))
    else:
        _init_worker(state)
        results = [_simulate_one(job) for job in jobs]
    counts = {c.sample: c for c in results}

    # sheets: the dev-campaigns layout, and one workflow sheet per campaign
    rel = [
        {
            "sample": d.sample,
            "basin": d.basin,
            "site": d.site,
            "campaign": d.campaign,
            "replicate": d.replicate,
            "type": d.type,
            "fq1": files[d.sample][0].relative_to(out),
            "fq2": files[d.sample][1].relative_to(out),
        }
        for d in designs
    ]
    _write_tsv(
        out / "samples.tsv",
        rel,
        ["sample", "basin", "site", "campaign", "replicate", "type", "fq1", "fq2"],
    )
    sheets: dict[str, Path] = {}
    for campaign in dict.fromkeys(d.campaign for d in designs):
        rows = [
            {
                "sample": d.sample,
                "basin": d.basin,
                "site": d.site,
                "site_role": d.site_role,
                "replicate": d.replicate,
                "type": d.type,
                "fq1": files[d.sample][0],
                "fq2": files[d.sample][1],
            }
            for d in designs
            if d.campaign == campaign
        ]
        sheets[campaign] = out / "campaigns" / f"{campaign}.tsv"
        _write_tsv(
            sheets[campaign],
            rows,
            ["sample", "basin", "site", "site_role", "replicate", "type", "fq1", "fq2"],
        )
    cfg = _config_for(base_config, sheets, params)
    (out / "config.yaml").write_text(
        "# Simulated campaigns (python -m riverfish.simulate); every other key as in the\n"
        "# base configuration.\n" + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
    )

    composition, tallies, sites, design_rows = truth_tables(
        designs, haplotypes, counts, min_reads=min_reads, min_fraction=min_fraction
    )
    _write_tsv(
        out / "truth_composition.tsv",
        composition,
        ["sample", "taxon", "rank", "genus", "family", "order", "expected_reads"],
    )
    _write_tsv(
        out / "truth_tallies.tsv",
        tallies,
        ["basin", "campaign", "n_orders", "n_families", "n_species"],
    )
    _write_tsv(out / "truth_sites.tsv", sites, ["basin", "site", "campaign", "n_species"])
    _write_tsv(
        out / "design.tsv",
        design_rows,
        [
            "sample",
            "campaign",
            "basin",
            "site",
            "replicate",
            "type",
            "species",
            "relative_abundance",
            "ref_id",
            "taxon",
            "simulated_reads",
            "in_truth",
        ],
    )
    _write_tsv(
        out / "simulated_reads.tsv",
        [vars(counts[d.sample]) for d in designs],
        ["sample", "pairs", "true", "chimeras", "tag_jumps", "dimers", "contaminant"],
    )
    return counts


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def _resolve(path: str | os.PathLike) -> Path:
    p = Path(path)
    return Path(os.path.normpath(p if p.is_absolute() else ROOT / p))


def _read_species_list(path: str | os.PathLike) -> list[str]:
    names = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line.split()[0])
    return names


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m riverfish.simulate",
        description="Simulate the paired MiSeq reads of MiFish mock communities (a generated "
        "monitoring programme or a design table), with sample sheets, a workflow config and "
        "the truth tables.",
    )
    ap.add_argument("--out", required=True, type=Path, help="output folder (created)")
    g = ap.add_argument_group("design")
    g.add_argument(
        "--design",
        type=Path,
        help="design TSV: basin, site, campaign, replicate, taxon, relative_abundance, "
        "optionally type, site_role, sample, pairs; without it a design is generated",
    )
    g.add_argument(
        "--samples",
        type=int,
        default=100,
        help="samples of a generated design, blanks included (default %(default)s)",
    )
    g.add_argument(
        "--pairs",
        type=int,
        default=1_000_000,
        help="read pairs of a generated design, all samples together (default %(default)s)",
    )
    g.add_argument(
        "--pairs-per-sample",
        type=int,
        default=10_000,
        help="read pairs per sample of a design TSV without a pairs column (default %(default)s)",
    )
    g.add_argument("--campaigns", type=int, help="campaigns (default 2; 1 under 8 samples)")
    g.add_argument("--basins", type=int, help="basins (default 2; 1 under 8 samples)")
    g.add_argument("--replicates", type=int, default=2, help="field replicates per site (2)")
    g.add_argument(
        "--species-per-site", type=int, default=8, help="species per site, +-3 (default 8)"
    )
    g.add_argument(
        "--species-list",
        type=Path,
        help="species to draw from, one per line (default: common Japanese river fish)",
    )
    g.add_argument(
        "--blank-fraction",
        type=float,
        default=0.05,
        help="read pairs of a field blank relative to a mean sample (default %(default)s)",
    )
    g.add_argument(
        "--contaminant",
        default=DEFAULT_CONTAMINANT,
        help="taxon of the blanks, at trace level in samples (default %(default)s)",
    )
    r = ap.add_argument_group("reads")
    r.add_argument("--read-length", type=int, default=150, help="bases per read (150)")
    r.add_argument(
        "--prefix-length", type=int, default=6, help="random bases before each primer, 0-6 (6)"
    )
    r.add_argument("--forward", default=MIFISH_U_FORWARD, help="forward primer (MiFish-U)")
    r.add_argument("--reverse", default=MIFISH_U_REVERSE, help="reverse primer (MiFish-U)")
    r.add_argument("--chimera-rate", type=float, default=0.02, help="PCR chimeras per pair (0.02)")
    r.add_argument(
        "--tag-jump-rate",
        type=float,
        default=0.003,
        help="pairs from other samples of the campaign (0.003)",
    )
    r.add_argument("--dimer-rate", type=float, default=0.005, help="primer dimers (0.005)")
    r.add_argument(
        "--contaminant-trace",
        type=float,
        default=0.0002,
        help="contaminant pairs in a field sample (0.0002)",
    )
    r.add_argument(
        "--quality-profile",
        default="auto",
        help="R1 FASTQ of a real run whose quality strings are drawn (R2 found by its "
        "name), 'synthetic', or 'auto': the PMiFish MiSeq run of the shared data when "
        "present, else synthetic",
    )
    r.add_argument(
        "--quality-model",
        choices=("pairs", "positions"),
        default="pairs",
        help="draw the qualities of whole real read pairs (default), or each position on "
        "its own from the per-position distribution",
    )
    r.add_argument(
        "--no-errors", action="store_true", help="write the drawn qualities, but no errors"
    )
    c = ap.add_argument_group("reference database and workflow settings")
    c.add_argument(
        "--config",
        type=Path,
        default=ROOT / "config" / "config.yaml",
        help="workflow config whose keys the written config.yaml copies, and whose "
        "reference, classify and detection settings the truth follows (default: the "
        "project's config/config.yaml)",
    )
    c.add_argument("--reference", type=Path, help="MiFish-format FASTA (default: the config's)")
    c.add_argument("--lineage", type=Path, help="genus lineage CSV (default: the config's)")
    c.add_argument("--vsearch", help="vsearch executable (default: on PATH)")
    o = ap.add_argument_group("run")
    o.add_argument("--seed", type=int, default=1, help="random seed (1)")
    o.add_argument(
        "--threads",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="worker processes (the files do not depend on it)",
    )
    o.add_argument("--compresslevel", type=int, default=1, help="gzip level of the FASTQ files (1)")
    return ap


def run(args: argparse.Namespace, log=sys.stderr) -> dict[str, SampleCounts]:
    """Everything ``main`` does, from parsed arguments."""
    import yaml

    base = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) or {}
    ref = dict(base.get("reference", {}))
    if args.reference:
        ref["fasta"] = str(Path(args.reference).resolve())
        ref.pop("family_table", None)
        ref.pop("common_names", None)
    if args.lineage:
        ref["lineage"] = str(Path(args.lineage).resolve())
    if not ref.get("fasta") or not ref.get("lineage"):
        raise InputError(
            "no reference database: give --reference and --lineage, or a config with them"
        )
    base["reference"] = ref
    classify = base.get("classify", {})
    margin = float(classify.get("margin", 0.5))
    detection = base.get("detection", {})
    min_reads = int(detection.get("min_reads", 10))
    min_fraction = float(detection.get("min_fraction", 0.001))
    filt = base.get("filter", {})
    params = SimParams(
        read_length=args.read_length,
        prefix_length=args.prefix_length,
        forward=args.forward,
        reverse=args.reverse,
        chimera_rate=args.chimera_rate,
        tag_jump_rate=args.tag_jump_rate,
        dimer_rate=args.dimer_rate,
        contaminant_trace=args.contaminant_trace,
        contaminant=args.contaminant,
        errors=not args.no_errors,
        quality_model=args.quality_model,
    )
    params.check()
    longest = (
        2 * params.read_length
        - 20
        - len(params.forward)
        - len(params.reverse)
        - 2 * params.prefix_length
    )
    window = (int(filt.get("min_length", 130)), min(int(filt.get("max_length", 220)), longest))

    records = load_reference(
        _resolve(ref["fasta"]),
        _resolve(ref["lineage"]),
        _resolve(ref["family_table"]) if ref.get("family_table") else None,
    )
    if args.design:
        design_species = [sp for d in read_design(args.design, 1) for sp, _ in d.composition]
        wanted = list(dict.fromkeys([*design_species, args.contaminant]))
    else:
        order = (
            _read_species_list(args.species_list) if args.species_list else list(COMMON_RIVER_FISH)
        )
        wanted = list(dict.fromkeys([*order, args.contaminant]))
    chosen = choose_haplotypes(records, wanted, *window)
    placed, rejected = place_haplotypes(chosen, records, margin=margin, vsearch=args.vsearch)
    if args.contaminant not in placed:
        why = rejected.get(
            args.contaminant, "not in the reference database (or no usable sequence)"
        )
        raise InputError(f"contaminant {args.contaminant}: {why}")
    if args.design:
        missing = [sp for sp in wanted if sp not in placed]
        if missing:
            absent = "not in the reference database (or no A/C/G/T sequence in the window)"
            details = "; ".join(f"{sp}: {rejected.get(sp, absent)}" for sp in missing)
            raise InputError(f"design taxa that cannot be simulated: {details}", path=args.design)
        designs = read_design(
            args.design, args.pairs_per_sample, args.blank_fraction, args.contaminant
        )
        for a, b, ident in close_pairs({sp: placed[sp] for sp in wanted}, 97.0, args.vsearch):
            print(
                f"warning: {a} and {b} are {ident:.1f} % identical; denoising may merge them",
                file=log,
            )
    else:
        pool = species_pool(
            placed, [sp for sp in order if sp != args.contaminant], 97.0, args.vsearch
        )
        designs = generate_design(
            pool,
            args.samples,
            args.pairs,
            seed=args.seed,
            campaigns=args.campaigns,
            basins=args.basins,
            replicates=args.replicates,
            species_per_site=args.species_per_site,
            blank_fraction=args.blank_fraction,
            min_reads=min_reads,
            min_fraction=min_fraction,
            contaminant=args.contaminant,
        )
        print(
            f"species pool: {len(pool)} of {len(order)} listed "
            f"({len([s for s in order if s not in chosen])} not in the database, "
            f"{len([s for s in order if s in rejected])} not placeable within a genus)",
            file=log,
        )
    source = args.quality_profile
    if source == "auto":
        source = str(DEFAULT_PROFILE) if DEFAULT_PROFILE.is_file() else "synthetic"
    if source == "synthetic":
        profile = synthetic_quality_profile(params.read_length)
    else:
        profile = learn_quality_profile(source, length=params.read_length)
    counts = simulate_campaign(
        designs,
        placed,
        profile,
        params,
        args.out,
        base,
        seed=args.seed,
        threads=args.threads,
        compresslevel=args.compresslevel,
        min_reads=min_reads,
        min_fraction=min_fraction,
        vsearch=args.vsearch,
    )
    total = sum(c.pairs for c in counts.values())
    print(
        f"{len(designs)} samples, {total} read pairs written to {Path(args.out).resolve()} "
        f"(quality profile: {profile.source})",
        file=log,
    )
    return counts


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except RiverfishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
