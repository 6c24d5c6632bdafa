"""Build a MiFish 12S reference database from a MiFish-format FASTA and a lineage table.

Inputs (see ``reference_db/README.md`` for where they come from):

- a FASTA whose headers are ``gb|ID|Genus_species[_label]`` (MiFish DB / MitoFish layout);
- a lineage CSV ``genus_name,family_name,order_name,...`` (MitoFish taxonomy);
- optionally ``Family_name.txt`` (``FAMILYCODE_Family<TAB>Genus<TAB>epithet<TAB>Genus_epithet``),
  used to place genera that are missing from the lineage;
- optionally ``Sname_Jname.txt`` (``Genus species<TAB>Japanese name``, cp932 by default).

The builder never drops a record silently: every record read is either kept or dropped
with a reason, and every reason is counted in the build report. Parsing is done by pure
functions; only the ``read_*`` and ``write_*`` functions touch files.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

__all__ = [
    "BuildResult",
    "FastaRecord",
    "NOTES",
    "RefRecord",
    "ReportLine",
    "TAXONOMY_COLUMNS",
    "TaxonName",
    "build_database",
    "build_from_records",
    "database_checksum",
    "name_key",
    "normalise_name",
    "parse_header",
    "read_common_names",
    "read_family_genera",
    "read_family_table",
    "read_fasta",
    "read_lineage",
    "write_database",
]

#: Columns of the taxonomy table written next to the reference FASTA.
TAXONOMY_COLUMNS = ("ref_id", "label", "species", "genus", "family", "order", "common_name", "note")

#: Values of :attr:`TaxonName.note`. ``unusable`` marks a non-empty label with no usable genus
#: (a family name such as ``Rajidae_sp_KAUM_I_91063``, ``Cf_Genus_...``, lower-case junk).
NOTES = ("species", "subspecies", "informal", "sp", "cf", "hybrid", "empty", "unusable")

#: IUPAC nucleotide codes accepted in reference sequences (after upper-casing and U -> T).
IUPAC = frozenset("ACGTRYSWKMBDHVN")
_AMBIGUOUS = frozenset("RYSWKMBDHVN")

#: How many examples a report line lists before it says "+N more".
DETAIL_EXAMPLES = 10

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
_FAMILY_CODE_RE = re.compile(r"(\d+)_")


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


# --------------------------------------------------------------------------------------
# FASTA
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FastaRecord:
    """One FASTA record as read: header text (without ``>``), raw sequence, header line."""

    header: str
    sequence: str
    line: int


def _check_not_compressed(head: bytes, path: Path) -> None:
    if head.startswith(b"\x1f\x8b"):
        raise InputError(
            "this is a gzip-compressed file, expected plain-text FASTA",
            path=path,
            hint=f"decompress it first (gunzip -k {path}) and point the config at the .fas file",
        )


def _iter_text_lines(path: Path, what: str) -> Iterator[tuple[int, str]]:
    """Yield (line number, text without line end) of a text file, failing on binary data."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", path=path) from None
    _check_not_compressed(data[:2], path)
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if b"\x00" in raw:
            raise InputError(
                f"binary data (NUL bytes) in {what}, expected text",
                path=path,
                line=number,
                hint="is this the right file? It may be truncated or corrupted",
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"bytes that are not UTF-8 text in {what} (byte {raw[exc.start]:#04x} at "
                f"column {exc.start + 1})",
                path=path,
                line=number,
                hint="is this the right file? A FASTA file is plain text",
            ) from None
        yield number, text


def read_fasta(path: str | os.PathLike[str]) -> list[FastaRecord]:
    """Read a FASTA file, keeping the line number of every header.

    Sequence lines of a record are joined; blank lines are ignored; CRLF line ends are
    accepted. Raises :class:`InputError` (with file and line) on a sequence before the first
    header, a header line with nothing after ``>``, or binary data.
    """
    path = Path(path)
    records: list[FastaRecord] = []
    header: str | None = None
    header_line = 0
    chunks: list[str] = []
    for number, text in _iter_text_lines(path, "FASTA file"):
        if text.startswith(">"):
            if header is not None:
                records.append(FastaRecord(header, "".join(chunks), header_line))
            header = text[1:].strip()
            if not header:
                raise InputError(
                    "header line with nothing after '>'",
                    path=path,
                    line=number,
                    hint="every record needs a header like '>gb|AB123456|Genus_species'",
                )
            header_line = number
            chunks = []
        elif text.strip():
            if header is None:
                raise InputError(
                    f"sequence data before the first header: {text.strip()[:40]!r}",
                    path=path,
                    line=number,
                    hint="a FASTA file starts with a '>' header line",
                )
            chunks.append(text.strip())
    if header is not None:
        records.append(FastaRecord(header, "".join(chunks), header_line))
    return records


def parse_header(header: str) -> tuple[str | None, str, bool]:
    """Split a MiFish header ``gb|ID|Genus_species`` into (ID, label, repaired).

    ``repaired`` is True when the name field was empty and the name was taken from the
    next non-empty field (``gb|107_1_065||Lefua_echigonia``). The ID is None when the
    header does not have the ``prefix|ID|name`` layout or the ID is empty or holds
    whitespace. The label is ``""`` when no name is present.
    """
    fields = header.strip().split("|")
    if len(fields) < 3:
        return None, "", False
    ref_id = fields[1].strip()
    if not ref_id or re.search(r"\s", ref_id):
        return None, "", False
    label = fields[2].strip()
    if label:
        return ref_id, label, False
    for extra in fields[3:]:
        if extra.strip():
            return ref_id, extra.strip(), True
    return ref_id, "", False


def _clean_sequence(raw: str) -> tuple[str, bool]:
    """Upper-case, U -> T; return (sequence, changed)."""
    seq = raw.upper().replace("U", "T")
    return seq, seq != raw


# --------------------------------------------------------------------------------------
# Lineage, family table, common names
# --------------------------------------------------------------------------------------

LINEAGE_COLUMNS = ("genus_name", "family_name", "order_name")


def _genus_word(text: str) -> str | None:
    """The genus of a lineage ``genus_name`` cell.

    ``"Abramis"`` -> ``"Abramis"``; an authority or a subgenus after the name
    (``"Annamia Hora, 1932"``, ``"Chondrostoma (Iberochondrostoma)"``) is dropped;
    anything else (``"Neoplecostominae gen. 1 FFR-2012"``) -> None.
    """
    text = text.strip()
    if _GENUS_RE.fullmatch(text):
        return text
    match = re.fullmatch(r"([A-Z][a-z]+)\s+(\(.*\)|[A-Z].*\d{4}.*)", text)
    if match and _is_genus(match.group(1)):
        return match.group(1)
    return None


def read_lineage(path: str | os.PathLike[str]) -> dict[str, tuple[str, str]]:
    """Read a lineage table: genus -> (family, order).

    The file is a CSV (or tab-separated) table with a header row holding at least
    ``genus_name``, ``family_name`` and ``order_name`` (extra columns are ignored).
    Empty family or order cells are kept as ``""`` (incertae sedis in the source
    taxonomy). Genus cells with an authority or a subgenus in parentheses are reduced to
    the genus; if a genus appears twice, the first row wins.
    """
    path = Path(path)
    lines = list(_iter_text_lines(path, "lineage table"))
    if not lines or not lines[0][1].strip():
        raise InputError(
            "the lineage table is empty",
            path=path,
            hint="expected a header row with " + ", ".join(LINEAGE_COLUMNS),
        )
    first = lines[0][1].lstrip("\ufeff")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    texts = [first] + [t for _, t in lines[1:]]
    reader = csv.reader(texts, delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    missing = [c for c in LINEAGE_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"the lineage table lacks the column(s) {', '.join(missing)}; "
            f"found columns: {', '.join(header)}",
            path=path,
            line=1,
            hint="expected a header row with "
            + ", ".join(LINEAGE_COLUMNS)
            + " (MitoFish lineage.csv)",
        )
    gi, fi, oi = (header.index(c) for c in LINEAGE_COLUMNS)
    need = max(gi, fi, oi) + 1
    lineage: dict[str, tuple[str, str]] = {}
    for (number, _), row in zip(lines[1:], reader, strict=False):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < need:
            raise InputError(
                f"{len(row)} column(s) in this row, expected at least {need}",
                path=path,
                line=number,
                hint="check quoting: a value with a comma must be in double quotes",
            )
        genus = _genus_word(row[gi])
        if genus is None or genus in lineage:
            continue
        lineage[genus] = (row[fi].strip(), row[oi].strip())
    return lineage


def _family_table_rows(path: Path) -> Iterator[tuple[int, str, str, str]]:
    """Yield (line, code, family, genus) of ``Family_name.txt``; junk family names skipped."""
    for number, text in _iter_text_lines(path, "family table"):
        if not text.strip():
            continue
        fields = text.split("\t")
        if len(fields) < 2:
            raise InputError(
                f"{len(fields)} tab-separated field(s), expected "
                "FAMILYCODE_Family<TAB>Genus<TAB>epithet<TAB>Genus_epithet",
                path=path,
                line=number,
            )
        match = re.fullmatch(r"(\d+)_(.+)", fields[0].strip())
        if not match:
            raise InputError(
                f"first field {fields[0]!r} is not FAMILYCODE_Family (e.g. 001_Myxinidae)",
                path=path,
                line=number,
            )
        code, family = match.groups()
        # "Percichthyidae_Percichthyidae" -> "Percichthyidae"; "Cent1Ostorhinchus" -> skipped.
        parts = set(family.split("_"))
        if len(parts) == 1:
            family = parts.pop()
        if not _GENUS_RE.fullmatch(family):
            continue
        yield number, code, family, fields[1].strip()


def _unambiguous(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """key -> value for keys that map to exactly one value."""
    seen: dict[str, set[str]] = defaultdict(set)
    for key, value in pairs:
        seen[key].add(value)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def read_family_table(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read MitoFish ``Family_name.txt``: family code (``"172"``) -> family name.

    The code is the part of ``FAMILYCODE_Family`` before the first ``_``; it is also the
    first part of MitoFish-style record IDs (``172_024``). Codes shared by more than one
    family (``074`` is both Anguillidae and Protoanguillidae) are left out, since they
    cannot place a genus; family names that are not a single Latin word are skipped.
    """
    rows = _family_table_rows(Path(path))
    return _unambiguous((code, family) for _, code, family, _ in rows)


def read_family_genera(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read MitoFish ``Family_name.txt``: genus -> family, for genera in one family only."""
    rows = _family_table_rows(Path(path))
    return _unambiguous((genus, family) for _, _, family, genus in rows if _is_genus(genus))


def _curated_rows(path: Path, columns: Sequence[str], what: str) -> Iterator[tuple[int, dict]]:
    """(line, row) of a curated TSV of ``reference_db/`` with at least ``columns``."""
    lines = list(_iter_text_lines(path, what))
    if not lines:
        raise InputError(f"the {what} is empty", path=path, hint=f"columns: {', '.join(columns)}")
    header = lines[0][1].split("\t")
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            f"the {what} lacks column(s) {', '.join(missing)}; found {', '.join(header)}",
            path=path,
            line=1,
            hint=f"expected a tab-separated table with columns {', '.join(columns)}",
        )
    for number, text in lines[1:]:
        if not text.strip() or text.startswith("#"):
            continue
        fields = text.split("\t")
        row = dict(zip(header, fields + [""] * (len(header) - len(fields)), strict=False))
        empty = [c for c in columns if not row[c].strip()]
        if empty:
            raise InputError(
                f"empty {', '.join(empty)}", path=path, line=number, hint="every row needs a source"
            )
        yield number, {k: v.strip() for k, v in row.items()}


def read_name_fixes(path: str | os.PathLike[str]) -> dict[str, str]:
    """The curated name table (``reference_db/name_fixes.tsv``): from_name -> to_name.

    Both names are ``Genus_species``; every row names its reason and source. A name may
    not be fixed twice, nor into a name that is itself fixed (no chains)."""
    path = Path(path)
    fixes: dict[str, str] = {}
    for number, row in _curated_rows(
        path, ("from_name", "to_name", "reason", "source"), "name table"
    ):
        old, new = row["from_name"], row["to_name"]
        for name in (old, new):
            parsed = normalise_name(name)
            if parsed.species != name:
                raise InputError(
                    f"{name!r} is not a species name Genus_species",
                    path=path,
                    line=number,
                    hint="write names as in the database headers, e.g. Chelon_macrolepis",
                )
        if old in fixes and fixes[old] != new:
            raise InputError(
                f"{old} is renamed twice ({fixes[old]} and {new})", path=path, line=number
            )
        fixes[old] = new
    chained = sorted(old for old, new in fixes.items() if new in fixes)
    if chained:
        raise InputError(
            f"names renamed into names that are renamed again: {', '.join(chained)}",
            path=path,
            hint="give each row the final valid name",
        )
    return fixes


def read_family_orders(path: str | os.PathLike[str]) -> dict[str, str]:
    """The curated family -> order table (``reference_db/family_orders.tsv``), used for
    families without an order in the lineage; every row names its source."""
    path = Path(path)
    out: dict[str, str] = {}
    for number, row in _curated_rows(path, ("family", "order", "source"), "family-order table"):
        family, order = row["family"], row["order"]
        if out.get(family, order) != order:
            raise InputError(
                f"family {family} is given two orders ({out[family]} and {order})",
                path=path,
                line=number,
            )
        out[family] = order
    return out


def _read_common_names_table(
    path: Path, encoding: str
) -> tuple[dict[str, str], list[tuple[int, str, str, str]]]:
    """Read a names table; return (key -> name, conflicts as (line, key, kept, other))."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("common-names table not found", path=path) from None
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(
            f"unknown text encoding {encoding!r} for the common-names table",
            path=path,
            hint="set reference.common_names_encoding to a Python codec name "
            "(cp932 for Shift-JIS files, utf-8)",
        ) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.end].hex(" ")
        raise InputError(
            f"cannot decode the common-names table as {encoding} (bytes {bad})",
            path=path,
            line=line,
            hint="set reference.common_names_encoding to the file's encoding "
            "(cp932 for Shift-JIS, utf-8, ...)",
        ) from None
    names: dict[str, str] = {}
    conflicts: list[tuple[int, str, str, str]] = []
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        line = line.rstrip("\r\n").lstrip("\ufeff")
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise InputError(
                "no tab in this line, expected 'Genus species<TAB>name'",
                path=path,
                line=number,
                hint="the common-names table is tab-separated, one scientific name a line",
            )
        key = name_key(fields[0])
        name = fields[1].strip()
        if not key or not name:
            continue
        if key not in names:
            names[key] = name
        elif names[key] != name:
            conflicts.append((number, key, names[key], name))
    return names, conflicts


def read_common_names(path: str | os.PathLike[str], encoding: str = "cp932") -> dict[str, str]:
    """Read a ``Genus species<TAB>common name`` table: ``"Genus_species"`` -> name.

    Keys are :func:`name_key` of the scientific name (so informal names like
    ``Rhinogobius sp. OR`` become ``Rhinogobius_sp_OR``). CRLF line ends are accepted;
    when a name appears twice with different common names the first one wins. A byte that
    cannot be decoded raises :class:`InputError` naming the file, line and encoding.
    """
    names, _ = _read_common_names_table(Path(path), encoding)
    return names


# --------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefRecord:
    """One kept reference record (a row of the taxonomy table plus its sequence)."""

    ref_id: str
    sequence: str
    label: str
    species: str | None
    genus: str
    family: str
    order: str
    common_name: str
    note: str


@dataclass(frozen=True)
class ReportLine:
    """One line of the build report."""

    item: str
    count: int
    detail: str = ""


@dataclass
class BuildResult:
    """Kept records (in input order) and the build report."""

    records: list[RefRecord]
    report: list[ReportLine]
    #: species -> Japanese name, the default species list (:mod:`riverfish.specieslist`)
    japan_species: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """The report as item -> count."""
        return {line.item: line.count for line in self.report}

    def detail(self, item: str) -> str:
        """The detail text of a report item (``""`` when absent)."""
        return next((line.detail for line in self.report if line.item == item), "")


#: Reasons a record is dropped, in report order.
DROP_REASONS = (
    "duplicate_record",
    "unparseable_header",
    "empty_sequence",
    "bad_sequence",
    "no_species_name",
    "no_usable_genus",
    "intergeneric_hybrid",
    "genus_not_in_lineage",
    "no_family",
)

#: What each report item means (also written to reference_db/README.md).
REPORT_ITEMS = {
    "records_read": "FASTA records in the input",
    "kept": "records written to the database",
    "dropped": "records not written (sum of the reasons below)",
    "kept_species": "kept records identified to species",
    "kept_genus_only": "kept records identified to genus only (sp, informal, cf, hybrid)",
    "distinct_species": "distinct species keys among kept records",
    "distinct_genera": "distinct genera among kept records",
    "distinct_families": "distinct families among kept records",
    "duplicate_record": "dropped: same ID, same name and same sequence as an earlier record",
    "unparseable_header": "dropped: header is not prefix|ID|name or the ID is empty",
    "empty_sequence": "dropped: header with no sequence",
    "bad_sequence": "dropped: sequence with characters that are not IUPAC nucleotide codes "
    "(gaps included)",
    "no_species_name": "dropped: empty name field and no name to recover",
    "no_usable_genus": "dropped: name without a usable genus (family-level, cf-prefixed, junk)",
    "intergeneric_hybrid": "dropped: hybrid between two genera",
    "genus_not_in_lineage": "dropped: genus neither in the lineage nor placeable by family table",
    "no_family": "dropped: genus in the lineage without a family that no table fills",
    "renamed": "kept under the valid name of reference_db/name_fixes.tsv (synonyms, "
    "outdated genera)",
    "family_from_lineage": "kept: family from the lineage table",
    "order_from_lineage": "kept: order from the lineage table (the record's genus)",
    "order_from_lineage_family": "kept: order from the lineage table (other genera of the "
    "record's family)",
    "order_from_curated_table": "kept: order from reference_db/family_orders.tsv (families "
    "the lineage leaves without an order)",
    "id_renamed": "kept under ID.2, ID.3...: an ID already used by another name or sequence",
    "malformed_header_repaired": "kept: empty name field, name taken from the next field",
    "subspecies_folded": "kept: subspecies or variety folded to its species",
    "informal_label": "kept: informal label (voucher, population, sp_XYZ) after genus or species",
    "sp_label": "kept: bare Genus_sp / Genus_spp (genus only)",
    "cf_label": "kept: cf./aff. identification (genus only)",
    "hybrid_label": "kept: hybrid within one genus (genus only)",
    "sequence_normalised": "kept: sequence upper-cased and/or U changed to T",
    "ambiguous_bases": "kept: sequence with IUPAC ambiguity codes (N, R, Y, ...)",
    "resolved_by_family_table": "kept: genus missing from the lineage (or without a family "
    "there), family found for the genus in the family table",
    "resolved_by_family_code": "kept: genus missing from the lineage (or without a family "
    "there), family found from the family code of the ID",
    "order_missing": "families without an order in any table: a build error (add them to "
    "reference_db/family_orders.tsv with a source)",
    "shared_sequences": "distinct sequences carried by more than one species",
    "common_names_found": "distinct species with a common name",
    "common_names_informal_found": "genus-only records whose informal label has a common name",
    "common_name_conflicts": "names listed twice with different common names (first kept)",
    "species_with_japanese_name": "species with a Japanese name in the names table: the "
    "default species list",
    "input_sha256": "sha256 of the input files (count = number of files)",
}


def _examples(items: Sequence[str], limit: int = DETAIL_EXAMPLES) -> str:
    """Join up to ``limit`` examples with ``; `` and say how many more there are."""
    shown = "; ".join(items[:limit])
    if len(items) > limit:
        shown += f"; ... (+{len(items) - limit} more)"
    return shown


def _counted(counter: Counter[str], limit: int = 50) -> str:
    """``"A (3); B (1)"`` sorted by count then name."""
    items = [f"{k} ({v})" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
    return _examples(items, limit)


def _family_orders(lineage: dict[str, tuple[str, str]]) -> dict[str, str]:
    """family -> order, for families whose genera name exactly one non-empty order."""
    return _unambiguous((fam, order) for fam, order in lineage.values() if fam and order)


@dataclass
class _Tally:
    """Mutable counters of one build (internal)."""

    drops: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    kept_items: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    not_in_lineage: Counter[str] = field(default_factory=Counter)


def build_from_records(
    records: Sequence[FastaRecord],
    lineage: dict[str, tuple[str, str]],
    family_codes: dict[str, str] | None = None,
    family_genera: dict[str, str] | None = None,
    common_names: dict[str, str] | None = None,
    name_fixes: dict[str, str] | None = None,
    family_orders: dict[str, str] | None = None,
) -> BuildResult:
    """Turn parsed FASTA records into kept reference records and a report (pure).

    Args:
        records: FASTA records in file order.
        lineage: genus -> (family, order), from :func:`read_lineage`.
        family_codes: family code -> family, from :func:`read_family_table`.
        family_genera: genus -> family, from :func:`read_family_genera`.
        common_names: :func:`name_key` -> common name, from :func:`read_common_names`.
        name_fixes: species name -> valid name, from :func:`read_name_fixes`.
        family_orders: family -> order for families the lineage leaves without one, from
            :func:`read_family_orders`.

    Returns a :class:`BuildResult`; raises nothing for record-level problems (they are
    counted), see :func:`build_database` for the checks on the whole input.
    """
    family_codes = family_codes or {}
    family_genera = family_genera or {}
    common_names = common_names or {}
    name_fixes = name_fixes or {}
    family_orders = family_orders or {}
    lineage_families = {fam for fam, _ in lineage.values() if fam}
    family_order = _family_orders(lineage)

    tally = _Tally()
    all_ids = {ref_id for ref_id, _, _ in (parse_header(r.header) for r in records) if ref_id}
    used_ids: set[str] = set()
    seen: set[tuple[str, str, str]] = set()
    id_content: dict[str, tuple[str, str]] = {}
    kept: list[RefRecord] = []

    for rec in records:
        where = f"line {rec.line}"
        ref_id, label, repaired = parse_header(rec.header)
        if ref_id is None:
            tally.drops["unparseable_header"].append(f"{where}: {rec.header[:60]}")
            continue
        tag = f"{ref_id} ({label or rec.header})"
        if not rec.sequence:
            tally.drops["empty_sequence"].append(tag)
            continue
        sequence, changed = _clean_sequence(rec.sequence)
        bad = sorted(set(sequence) - IUPAC)
        if bad:
            tally.drops["bad_sequence"].append(f"{tag}: {''.join(bad)[:10]!r}")
            continue
        key = (ref_id, label, sequence)
        if key in seen:
            tally.drops["duplicate_record"].append(f"{ref_id} ({label})")
            continue
        seen.add(key)

        name = normalise_name(label)
        if name.note == "empty":
            tally.drops["no_species_name"].append(f"{where}: {rec.header}")
            continue
        if name.genus is None:
            reason = "intergeneric_hybrid" if name.note == "hybrid" else "no_usable_genus"
            tally.drops[reason].append(tag)
            continue

        original_species = name.species
        if name.species in name_fixes:
            fixed = name_fixes[name.species]
            tally.kept_items["renamed"].append(f"{name.species} -> {fixed}")
            name = TaxonName(fixed.split("_", 1)[0], fixed, name.original, name.note)
        genus = name.genus
        family, order = lineage.get(genus, ("", ""))
        how = ""
        family_how = "family_from_lineage" if family else ""
        order_how = "order_from_lineage" if order else ""
        if not family:
            code = _FAMILY_CODE_RE.match(ref_id)
            by_genus = family_genera.get(genus, "")
            by_code = family_codes.get(code.group(1), "") if code else ""
            if by_genus in lineage_families:
                family, how = by_genus, "resolved_by_family_table"
            elif by_code in lineage_families:
                family, how = by_code, "resolved_by_family_code"
            elif genus not in lineage:
                tally.not_in_lineage[genus] += 1
                tally.drops["genus_not_in_lineage"].append(tag)
                continue
            else:
                tally.drops["no_family"].append(tag)
                continue
        if not order:
            order, order_how = family_order.get(family, ""), "order_from_lineage_family"
        if not order:
            order, order_how = family_orders.get(family, ""), "order_from_curated_table"
        if family_how:
            tally.kept_items[family_how].append(family)
        if order:
            tally.kept_items[order_how].append(family)

        # Unique IDs: the same ID with another name or sequence gets a suffix.
        out_id = ref_id
        if ref_id in used_ids:
            n = 2
            while f"{ref_id}.{n}" in used_ids or f"{ref_id}.{n}" in all_ids:
                n += 1
            out_id = f"{ref_id}.{n}"
            first_label = id_content[ref_id][0]
            same_label = "same name" if first_label == label else f"first was {first_label}"
            tally.kept_items["id_renamed"].append(f"{ref_id} -> {out_id} ({label}, {same_label})")
        else:
            id_content[ref_id] = (label, sequence)
        used_ids.add(out_id)

        if name.species is not None:
            common = common_names.get(name.species, "") or common_names.get(
                original_species or "", ""
            )
        else:
            common = common_names.get(name_key(label), "")
            if common:
                tally.kept_items["common_names_informal_found"].append(f"{label} = {common}")

        kept.append(
            RefRecord(
                ref_id=out_id,
                sequence=sequence,
                label=label,
                species=name.species,
                genus=genus,
                family=family,
                order=order,
                common_name=common,
                note=name.note,
            )
        )
        if repaired:
            tally.kept_items["malformed_header_repaired"].append(
                f"line {rec.line}: >{rec.header} -> {label}"
            )
        if how:
            tally.kept_items[how].append(f"{out_id} ({label}) -> {family}")
        if not order:
            tally.kept_items["order_missing"].append(family)
        if changed:
            tally.kept_items["sequence_normalised"].append(out_id)
        if _AMBIGUOUS.intersection(sequence):
            tally.kept_items["ambiguous_bases"].append(out_id)
        note_item = {
            "subspecies": "subspecies_folded",
            "informal": "informal_label",
            "sp": "sp_label",
            "cf": "cf_label",
            "hybrid": "hybrid_label",
        }.get(name.note)
        if note_item:
            tally.kept_items[note_item].append(label)

    return BuildResult(kept, _report(records, kept, tally, common_names))


def _report(
    records: Sequence[FastaRecord],
    kept: list[RefRecord],
    tally: _Tally,
    common_names: dict[str, str],
) -> list[ReportLine]:
    """Assemble the report lines of a build."""
    lines: list[ReportLine] = []
    n_dropped = sum(len(tally.drops[r]) for r in DROP_REASONS)
    species = {r.species for r in kept if r.species}
    genera = {r.genus for r in kept}
    families = {r.family for r in kept if r.family}
    lines.append(ReportLine("records_read", len(records)))
    lines.append(ReportLine("kept", len(kept)))
    lines.append(ReportLine("dropped", n_dropped))
    lines.append(ReportLine("kept_species", sum(1 for r in kept if r.species)))
    lines.append(ReportLine("kept_genus_only", sum(1 for r in kept if not r.species)))
    lines.append(ReportLine("distinct_species", len(species)))
    lines.append(ReportLine("distinct_genera", len(genera)))
    lines.append(ReportLine("distinct_families", len(families)))
    for reason in DROP_REASONS:
        items = tally.drops[reason]
        if reason == "genus_not_in_lineage":
            detail = _counted(tally.not_in_lineage)
        elif reason == "duplicate_record":
            detail = _counted(Counter(items), DETAIL_EXAMPLES)
        else:
            detail = _examples(items)
        lines.append(ReportLine(reason, len(items), detail))

    def kept_line(item: str, as_counts: bool = False) -> ReportLine:
        items = tally.kept_items[item]
        detail = _counted(Counter(items), DETAIL_EXAMPLES) if as_counts else _examples(items)
        return ReportLine(item, len(items), detail)

    lines.append(kept_line("id_renamed"))
    lines.append(kept_line("malformed_header_repaired"))
    lines.append(kept_line("subspecies_folded", as_counts=True))
    lines.append(kept_line("informal_label", as_counts=True))
    lines.append(kept_line("sp_label", as_counts=True))
    lines.append(kept_line("cf_label", as_counts=True))
    lines.append(kept_line("hybrid_label", as_counts=True))
    lines.append(kept_line("sequence_normalised"))
    lines.append(kept_line("ambiguous_bases"))
    lines.append(kept_line("renamed", as_counts=True))
    lines.append(kept_line("family_from_lineage", as_counts=True))
    lines.append(kept_line("resolved_by_family_table"))
    lines.append(kept_line("resolved_by_family_code"))
    lines.append(kept_line("order_from_lineage", as_counts=True))
    lines.append(kept_line("order_from_lineage_family", as_counts=True))
    lines.append(kept_line("order_from_curated_table", as_counts=True))
    lines.append(kept_line("order_missing", as_counts=True))

    by_sequence: dict[str, set[str]] = defaultdict(set)
    for r in kept:
        if r.species:
            by_sequence[r.sequence].add(r.species)
    shared = sorted(
        (sorted(s) for s in by_sequence.values() if len(s) > 1), key=lambda s: (-len(s), s)
    )
    lines.append(
        ReportLine("shared_sequences", len(shared), _examples(["/".join(s) for s in shared]))
    )

    names_of = {r.species: r.common_name for r in kept if r.species and r.common_name}
    named = sorted(names_of)
    lines.append(
        ReportLine(
            "common_names_found",
            len(named),
            f"{len(named)} of {len(species)} species"
            + (f"; e.g. {_examples([f'{s} = {names_of[s]}' for s in named], 5)}" if named else ""),
        )
    )
    lines.append(kept_line("common_names_informal_found", as_counts=True))
    return lines


def _checked_input(path: str | os.PathLike[str], what: str, key: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError(
            f"{what} not found",
            path=p,
            hint=f"check reference.{key} in the config (paths are relative to the project)",
        )
    return p


def build_database(
    fasta_path: str | os.PathLike[str],
    lineage_path: str | os.PathLike[str],
    family_table_path: str | os.PathLike[str] | None = None,
    common_names_path: str | os.PathLike[str] | None = None,
    common_names_encoding: str = "cp932",
    name_fixes_path: str | os.PathLike[str] | None = None,
    family_orders_path: str | os.PathLike[str] | None = None,
) -> BuildResult:
    """Read the inputs and build the reference database (records + report).

    Raises :class:`InputError` on a malformed FASTA, lineage, family, names or curated
    file, when no record survives, and when a kept record has no order (a gap that would
    silently shrink the order tallies): the message lists the families to add to the
    curated family-order table. See :func:`build_from_records` for the per-record rules and
    ``reference_db/README.md`` for the report items.
    """
    fasta = _checked_input(fasta_path, "reference FASTA", "fasta")
    lineage_file = _checked_input(lineage_path, "lineage table", "lineage")
    inputs = [fasta, lineage_file]
    records = read_fasta(fasta)
    if not records:
        raise InputError(
            "no FASTA records in the reference file",
            path=fasta,
            hint="expected records like '>gb|AB123456|Genus_species' followed by a sequence",
        )
    lineage = read_lineage(lineage_file)
    family_codes: dict[str, str] = {}
    family_genera: dict[str, str] = {}
    if family_table_path is not None:
        table = _checked_input(family_table_path, "family table", "family_table")
        inputs.append(table)
        family_codes = read_family_table(table)
        family_genera = read_family_genera(table)
    common_names: dict[str, str] = {}
    conflicts: list[tuple[int, str, str, str]] = []
    if common_names_path is not None:
        names_file = _checked_input(common_names_path, "common-names table", "common_names")
        inputs.append(names_file)
        common_names, conflicts = _read_common_names_table(names_file, common_names_encoding)

    name_fixes: dict[str, str] = {}
    if name_fixes_path is not None:
        fixes_file = _checked_input(name_fixes_path, "name table", "name_fixes")
        inputs.append(fixes_file)
        name_fixes = read_name_fixes(fixes_file)
    family_orders: dict[str, str] = {}
    if family_orders_path is not None:
        orders_file = _checked_input(family_orders_path, "family-order table", "family_orders")
        inputs.append(orders_file)
        family_orders = read_family_orders(orders_file)

    result = build_from_records(
        records, lineage, family_codes, family_genera, common_names, name_fixes, family_orders
    )
    gaps = Counter(r.family for r in result.records if not r.order)
    if gaps:
        listed = ", ".join(f"{f} ({n} records)" for f, n in sorted(gaps.items()))
        raise InputError(
            f"{sum(gaps.values())} reference record(s) of {len(gaps)} families have no order "
            f"in the lineage or the family-order table: {listed}",
            path=family_orders_path or lineage_file,
            hint="add a row 'family<TAB>order<TAB>source' for each to the family-order table "
            "(reference.family_orders, reference_db/family_orders.tsv); an order missing "
            "would drop these fishes from the order tallies",
        )
    if not result.records:
        counts = result.counts()
        reasons = ", ".join(f"{r}: {counts[r]}" for r in DROP_REASONS if counts.get(r))
        raise InputError(
            f"no usable reference record among {len(records)} ({reasons})",
            path=fasta,
            hint="headers must look like '>gb|ID|Genus_species' and the genera must be in "
            f"the lineage table ({lineage_file})",
        )
    result.report.append(
        ReportLine(
            "common_name_conflicts",
            len(conflicts),
            _examples([f"line {n}: {k} = {a} / {b}" for n, k, a, b in conflicts]),
        )
    )
    from riverfish.specieslist import japan_species

    species = {r.species for r in result.records if r.species}
    # the records' own names too: a species renamed by the name table keeps the name
    # the table gives under its old name
    record_names = {r.species: r.common_name for r in result.records if r.species and r.common_name}
    result.japan_species = japan_species(species, {**common_names, **record_names})
    result.report.append(
        ReportLine(
            "species_with_japanese_name",
            len(result.japan_species),
            f"{len(result.japan_species)} of {len(species)} species (directly or through a "
            "subspecies; transliterations with ・ left out): the default species list "
            "(classify.species_list: japan)",
        )
    )
    result.report.append(ReportLine("input_sha256", len(inputs), database_checksum(*inputs)))
    return result


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _tsv_text(rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def _write_all_atomically(outputs: Sequence[tuple[Path, str]]) -> None:
    """Write each text to a temporary file next to its target, then rename them all."""
    temps: list[tuple[str, Path]] = []
    try:
        for target, text in outputs:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            temps.append((tmp, target))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        for tmp, target in temps:
            os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


def write_database(
    result: BuildResult,
    fasta_out: str | os.PathLike[str],
    taxonomy_out: str | os.PathLike[str],
    report_out: str | os.PathLike[str],
    japan_out: str | os.PathLike[str] | None = None,
) -> None:
    """Write the reference FASTA, the taxonomy table and the report (UTF-8, TSV).

    - FASTA: ``>ref_id`` and the sequence on one line;
    - taxonomy: :data:`TAXONOMY_COLUMNS`, empty cells for missing values;
    - report: ``item, count, detail``.

    Each file is written to a temporary file in its directory and renamed into place, so
    a failed write leaves no half-written output.
    """
    fasta_text = "".join(f">{r.ref_id}\n{r.sequence}\n" for r in result.records)
    taxonomy_text = _tsv_text(
        [TAXONOMY_COLUMNS]
        + [
            (r.ref_id, r.label, r.species, r.genus, r.family, r.order, r.common_name, r.note)
            for r in result.records
        ]
    )
    report_text = _tsv_text(
        [("item", "count", "detail")] + [(x.item, x.count, x.detail) for x in result.report]
    )
    outputs = [
        (Path(fasta_out), fasta_text),
        (Path(taxonomy_out), taxonomy_text),
        (Path(report_out), report_text),
    ]
    if japan_out is not None:
        rows = [("species", "common_name"), *result.japan_species.items()]
        outputs.append((Path(japan_out), _tsv_text(rows)))
    _write_all_atomically(outputs)


def database_checksum(*paths: str | os.PathLike[str] | None) -> str:
    """sha256 (hex) over the bytes of the given files, in order (None entries skipped).

    Used to version a built database: the same inputs give the same checksum.
    """
    digest = hashlib.sha256()
    for path in paths:
        if path is None:
            continue
        p = Path(path)
        try:
            with p.open("rb") as handle:
                for block in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(block)
        except FileNotFoundError:
            raise InputError(
                "file not found while computing the database checksum", path=p
            ) from None
    return digest.hexdigest()
