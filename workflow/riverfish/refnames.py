"""Reference labels read as names: ``Genus_species``, subspecies, informal and ``sp``
labels, ``cf``/``aff``, hybrids, and labels without a usable genus (the MiFish database's
headers carry them). Pure functions; used when the database is built (riverfish.refdb).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Values of :attr:`TaxonName.note`. ``unusable`` marks a non-empty label with no usable genus
#: (a family name such as ``Rajidae_sp_KAUM_I_91063``, ``Cf_Genus_...``, lower-case junk).
NOTES = ("species", "subspecies", "informal", "sp", "cf", "hybrid", "empty", "unusable")

_GENUS_RE = re.compile(r"[A-Z][a-z]+")
_EPITHET_RE = re.compile(r"[a-z][a-z-]*[a-z]")
_SUBSPECIES_RE = re.compile(r"[a-z]{2,}\.?")
_SP_MARKERS = frozenset({"sp", "sp.", "spp", "spp.", "species"})
_SP_INFORMAL_RE = re.compile(r"spp?\.?[A-Z0-9].*")
_CF_MARKERS = frozenset({"cf", "cf.", "aff", "aff.", "nr", "nr.", "cfr", "cfr."})
_INFRA_MARKERS = frozenset(
    {"subsp", "subsp.", "ssp", "ssp.", "var", "var.", "f", "f.", "forma", "morpha"}
)
# Lower-case words after the epithet that are not subspecies names.
_NOT_SUBSPECIES = frozenset(
    {"complex", "group", "gr", "gr.", "sensu", "type", "form", "clade", "lineage", "morph"}
)
_NOT_A_GENUS = frozenset({"Cf", "Aff", "Sp", "Gen", "Unknown", "Unidentified", "Uncultured"})
_HIGHER_TAXON_SUFFIXES = ("idae", "inae", "oidea", "oidei", "iformes")
_HYBRID_MARKERS = frozenset({"x", "×"})
_HYBRID_WORD_RE = re.compile(r"(?<![a-z])hybrid(?![a-z])", re.IGNORECASE)


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxonName:
    """A reference label read as a name.

    Attributes:
        genus: the genus, or None when the label names no usable genus.
        species: the species key ``Genus_epithet``, or None when the record is
            identified to genus only (``sp``, informal, ``cf``, hybrid, ...).
        original: the label exactly as given.
        note: how the label was read, one of :data:`NOTES`.
    """

    genus: str | None
    species: str | None
    original: str
    note: str


def _is_genus(word: str) -> bool:
    """True when ``word`` looks like a genus: a capitalised Latin word, not a higher taxon."""
    if not _GENUS_RE.fullmatch(word) or word in _NOT_A_GENUS:
        return False
    return not word.endswith(_HIGHER_TAXON_SUFFIXES)


def _split_label(label: str) -> list[str]:
    """Split a label on underscores and whitespace, dropping empty parts."""
    return [t for t in re.split(r"[\s_]+", label.strip()) if t]


def _hybrid_name(tokens: list[str], original: str) -> TaxonName:
    """Read a hybrid label: genus only when both parents share the genus."""
    lower = [t.lower() for t in tokens]
    first = tokens[0]
    if not _is_genus(first):
        return TaxonName(None, None, original, "hybrid")
    genera = {first}
    for i, tok in enumerate(lower):
        if tok in _HYBRID_MARKERS and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if nxt[:1].isupper():
                # "Genus_a_x_Other_b" (full name) or "Genus_a_x_G._b" (abbreviated genus).
                abbreviated = re.fullmatch(r"([A-Z])\.?", nxt)
                if abbreviated and first.startswith(abbreviated.group(1)):
                    continue
                genera.add(nxt)
    if len(genera) == 1:
        return TaxonName(first, None, original, "hybrid")
    return TaxonName(None, None, original, "hybrid")


def normalise_name(label: str) -> TaxonName:
    """Read a MiFish / MitoFish reference label as a species key, a genus, or nothing usable.

    Rules (``_`` and whitespace both separate words; a trailing ``_`` is ignored):

    - ``Genus_epithet`` -> species ``Genus_epithet`` (note ``species``).
    - ``Genus_epithet_subepithet[...]`` where the third word is a lower-case Latin word, or an
      infraspecific marker (``subsp``, ``ssp``, ``var``) -> species ``Genus_epithet``
      (note ``subspecies``), e.g. ``Carassius_auratus_auratus``.
    - ``Genus_epithet_Label[...]`` with any other third word (a population, voucher or quoted
      strain label such as ``Trimma_okinawae_Palau``) -> species ``Genus_epithet``
      (note ``informal``).
    - ``Genus``, ``Genus_sp``, ``Genus_sp.``, ``Genus_spp`` -> genus only (note ``sp``);
      ``Genus_sp_XYZ...``, ``Genus_spS_Kyoto``, ``Genus_sp1_...``, ``Genus_BIWAE_typeD``
      -> genus only (note ``informal``).
    - ``Genus_cf_epithet...``, ``Genus_aff._epithet...``, ``Genus_sp_cf_epithet``
      -> genus only (note ``cf``).
    - hybrids (a word ``x`` between two names, or the word ``hybrid``) -> note ``hybrid``;
      genus only when both parents share the genus, else no genus. ``Genus_x_epithet`` with
      no parent species before the ``x`` is the epithet ``x-epithet`` (e.g. *Erimystax
      x-punctatus*), not a hybrid.
    - empty -> note ``empty``; a first word that is not a capitalised Latin word or that is a
      higher taxon (``Rajidae``, ``Gobiinae``, ``Cf``, ``cf``) -> note ``unusable``, no genus.
    """
    original = label
    tokens = _split_label(label)
    if not tokens:
        return TaxonName(None, None, original, "empty")
    lower = [t.lower() for t in tokens]

    # "Erimystax_x_punctatus": the species Erimystax x-punctatus, not a hybrid.
    if (
        len(tokens) >= 3
        and lower[1] in _HYBRID_MARKERS
        and _EPITHET_RE.fullmatch(tokens[2])
        and _is_genus(tokens[0])
        and not any(t in _HYBRID_MARKERS for t in lower[3:])
    ):
        tokens = [tokens[0], "x-" + tokens[2], *tokens[3:]]
        lower = [t.lower() for t in tokens]
    elif any(t in _HYBRID_MARKERS for t in lower[1:]) or _HYBRID_WORD_RE.search(label):
        return _hybrid_name(tokens, original)

    genus = tokens[0]
    if not _is_genus(genus) or (len(lower) > 1 and lower[1] in {"gen", "gen."}):
        return TaxonName(None, None, original, "unusable")
    if len(tokens) == 1:
        return TaxonName(genus, None, original, "sp")

    second = tokens[1]
    if lower[1] in _CF_MARKERS:
        return TaxonName(genus, None, original, "cf")
    if lower[1] in _SP_MARKERS:
        if len(tokens) == 2:
            return TaxonName(genus, None, original, "sp")
        if lower[2] in _CF_MARKERS:
            return TaxonName(genus, None, original, "cf")
        return TaxonName(genus, None, original, "informal")
    if _SP_INFORMAL_RE.fullmatch(second):
        return TaxonName(genus, None, original, "informal")
    if not _EPITHET_RE.fullmatch(second):
        return TaxonName(genus, None, original, "informal")

    species = f"{genus}_{second}"
    if len(tokens) == 2:
        return TaxonName(genus, species, original, "species")
    third = lower[2]
    if third in _INFRA_MARKERS or (
        _SUBSPECIES_RE.fullmatch(tokens[2])
        and third not in _NOT_SUBSPECIES
        and third not in _SP_MARKERS
        and third not in _CF_MARKERS
    ):
        return TaxonName(genus, species, original, "subspecies")
    return TaxonName(genus, species, original, "informal")


def name_key(name: str) -> str:
    """The lookup key of a scientific name: words joined by ``_``, trailing dots dropped.

    ``"Rhinogobius sp. OR"`` and ``"Rhinogobius_sp_OR"`` both give ``"Rhinogobius_sp_OR"``,
    so informal labels of the FASTA find their entry in a names table.
    """
    words = [w.rstrip(".") for w in re.split(r"[\s_\u3000]+", name.strip())]
    return "_".join(w for w in words if w)
