"""Primers: IUPAC handling and the cutadapt adapter specification for merged amplicons."""

from __future__ import annotations

from Bio.Data.IUPACData import ambiguous_dna_complement
from Bio.Seq import reverse_complement as _bio_reverse_complement

from riverfish.errors import InputError

#: complement of each IUPAC nucleotide code (Biopython's table; U pairs like T)
IUPAC_COMPLEMENT = {
    **{b: c for b, c in ambiguous_dna_complement.items() if b != "X"},
    "U": "A",
}


def reverse_complement(seq: str) -> str:
    """Reverse complement of a DNA sequence with IUPAC ambiguity codes (upper-case out)."""
    bad = sorted(set(seq.upper()) - set(IUPAC_COMPLEMENT))
    if bad:
        raise InputError(
            f"primer {seq!r} contains {bad[0]!r}, which is not an IUPAC nucleotide code",
            hint="use A C G T and the ambiguity codes R Y S W K M B D H V N",
        )
    return _bio_reverse_complement(seq.upper().replace("U", "T"))


def linked_adapters(
    forward: str, reverse: str, random_prefix_max: int, indels: bool = False
) -> list[str]:
    """cutadapt ``-g`` specifications that find the amplicon in a merged read.

    A merged read is ``random prefix + forward primer + insert + reverse complement of the
    reverse primer + random suffix``. One linked adapter is made per prefix length 0..N,
    each anchored at the 5' end, so the forward primer must start within the first N bases;
    the 3' part is required in full. cutadapt picks the best-matching one; the insert
    between the primers is kept.

    Without ``indels`` the anchored forward primer is matched with substitutions only,
    which cutadapt does about four times faster; Illumina errors are nearly all
    substitutions, and a read whose primer starts one base later is still found when
    ``random_prefix_max`` allows it.
    """
    if random_prefix_max < 0:
        raise InputError(f"random_prefix_max must be >= 0, got {random_prefix_max}")
    fwd = forward.upper().replace("U", "T")
    rc_rev = reverse_complement(reverse)
    three = f"{rc_rev};required;min_overlap={len(rc_rev)}"
    five = "" if indels else ";noindels"
    return [f"^{'N' * k}{fwd}{five}...{three}" for k in range(random_prefix_max + 1)]
