"""The simulator's settings, designs and data classes, and the programme's defaults
(primers, adapters, the common river fish). Used by riverfish.simulate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from riverfish.errors import InputError

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

_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


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
