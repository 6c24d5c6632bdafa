"""Reading the reference database's inputs: the MiFish-format FASTA, the lineage table,
the MitoFish family table, the curated name fixes and family orders, and the common-name
table. Each reader checks its file and names the line of a problem; nothing here builds
(riverfish.refdb does).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import dnaio

from .errors import InputError
from .refnames import _GENUS_RE, _is_genus, name_key, normalise_name

#: IUPAC nucleotide codes accepted in reference sequences (after upper-casing and U -> T).
IUPAC = frozenset("ACGTRYSWKMBDHVN")
_AMBIGUOUS = frozenset("RYSWKMBDHVN")

_FAMILY_CODE_RE = re.compile(r"(\d+)_")

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
    """Read a FASTA file (dnaio), keeping the line number of every header.

    Sequence lines of a record are joined; blank lines are ignored; CRLF line ends are
    accepted. Raises :class:`InputError` (with file and line) on a sequence before the first
    header, a header line with nothing after ``>``, or binary data.
    """
    path = Path(path)
    # the text checks (binary data, not UTF-8, compressed), and where the headers stand
    starts = [n for n, text in _iter_text_lines(path, "FASTA file") if text.startswith(">")]
    try:
        with dnaio.open(path, fileformat="fasta") as reader:
            parsed = [(record.name.strip(), record.sequence) for record in reader]
    except dnaio.exceptions.FastaFormatError as exc:
        raise InputError(
            f"sequence data before the first header ({exc.message})",
            path=path,
            line=exc.line + 1 if exc.line is not None else None,
            hint="a FASTA file starts with a '>' header line",
        ) from None
    records = []
    for (header, sequence), line in zip(parsed, starts, strict=True):
        if not header:
            raise InputError(
                "header line with nothing after '>'",
                path=path,
                line=line,
                hint="every record needs a header like '>gb|AB123456|Genus_species'",
            )
        records.append(FastaRecord(header, sequence, line))
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
