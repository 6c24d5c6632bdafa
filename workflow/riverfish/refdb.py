"""Build a MiFish 12S reference database from a MiFish-format FASTA and a lineage table.

Inputs (see ``reference_db/README.md`` for where they come from):

- a FASTA whose headers are ``gb|ID|Genus_species[_label]`` (MiFish DB / MitoFish layout);
- a lineage CSV ``genus_name,family_name,order_name,...`` (MitoFish taxonomy);
- optionally ``Family_name.txt`` (``FAMILYCODE_Family<TAB>Genus<TAB>epithet<TAB>Genus_epithet``),
  used to place genera that are missing from the lineage;
- optionally ``Sname_Jname.txt`` (``Genus species<TAB>Japanese name``, cp932 by default).

The builder never drops a record silently: every record read is either kept or dropped
with a reason, and every reason is counted in the build report. The inputs are read by
:mod:`riverfish.refinputs` and the labels read as names by :mod:`riverfish.refnames`
; this module builds, reports and writes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import refinputs
from .errors import InputError
from .refinputs import FastaRecord
from .refnames import TaxonName, name_key, normalise_name

__all__ = [
    "BuildResult",
    "DROP_REASONS",
    "REPORT_ITEMS",
    "RefRecord",
    "ReportLine",
    "TAXONOMY_COLUMNS",
    "build_database",
    "build_from_records",
    "database_checksum",
    "write_database",
]

#: Columns of the taxonomy table written next to the reference FASTA.
TAXONOMY_COLUMNS = ("ref_id", "label", "species", "genus", "family", "order", "common_name", "note")

#: How many examples a report line lists before it says "+N more".
DETAIL_EXAMPLES = 10

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
    return refinputs._unambiguous((fam, order) for fam, order in lineage.values() if fam and order)


@dataclass
class _Tally:
    """Mutable counters of one build (internal)."""

    drops: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    kept_items: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    not_in_lineage: Counter[str] = field(default_factory=Counter)


#: Name notes whose kept records are listed under a report item of their own.
_NOTE_ITEMS = {
    "subspecies": "subspecies_folded",
    "informal": "informal_label",
    "sp": "sp_label",
    "cf": "cf_label",
    "hybrid": "hybrid_label",
}


@dataclass(frozen=True)
class _Screened:
    """A record whose header and sequence passed (internal)."""

    ref_id: str
    label: str
    repaired: bool
    sequence: str
    changed: bool
    tag: str


@dataclass(frozen=True)
class _Placement:
    """Family and order of a genus and how they were found (internal)."""

    family: str
    order: str
    how: str  # resolved_by_family_table / resolved_by_family_code, or ""


class _Builder:
    """One build: the tables, the IDs given out so far and the tally (internal).

    Every step either returns what the next one needs or records why the record is
    dropped and returns None.
    """

    def __init__(
        self, records, lineage, family_codes, family_genera, common_names, name_fixes, family_orders
    ):
        self.lineage = lineage
        self.family_codes = family_codes or {}
        self.family_genera = family_genera or {}
        self.common_names = common_names or {}
        self.name_fixes = name_fixes or {}
        self.family_orders = family_orders or {}
        self.lineage_families = {fam for fam, _ in lineage.values() if fam}
        self.family_order = _family_orders(lineage)
        self.tally = _Tally()
        self.all_ids = {i for i, _, _ in (refinputs.parse_header(r.header) for r in records) if i}
        self.used_ids: set[str] = set()
        self.seen: set[tuple[str, str, str]] = set()
        self.first_label: dict[str, str] = {}

    def drop(self, reason: str, detail: str) -> None:
        self.tally.drops[reason].append(detail)

    def note(self, item: str, detail: str) -> None:
        self.tally.kept_items[item].append(detail)

    def screen(self, rec: FastaRecord) -> _Screened | None:
        """Header, sequence characters and exact duplicates."""
        ref_id, label, repaired = refinputs.parse_header(rec.header)
        if ref_id is None:
            return self.drop("unparseable_header", f"line {rec.line}: {rec.header[:60]}")
        tag = f"{ref_id} ({label or rec.header})"
        if not rec.sequence:
            return self.drop("empty_sequence", tag)
        sequence, changed = refinputs._clean_sequence(rec.sequence)
        bad = sorted(set(sequence) - refinputs.IUPAC)
        if bad:
            return self.drop("bad_sequence", f"{tag}: {''.join(bad)[:10]!r}")
        key = (ref_id, label, sequence)
        if key in self.seen:
            return self.drop("duplicate_record", f"{ref_id} ({label})")
        self.seen.add(key)
        return _Screened(ref_id, label, repaired, sequence, changed, tag)

    def name(self, rec: FastaRecord, screened: _Screened) -> tuple[TaxonName, str | None] | None:
        """The label read as a name, renamed by the name table where it lists it, and the
        species name before renaming."""
        name = normalise_name(screened.label)
        if name.note == "empty":
            return self.drop("no_species_name", f"line {rec.line}: {rec.header}")
        if name.genus is None:
            reason = "intergeneric_hybrid" if name.note == "hybrid" else "no_usable_genus"
            return self.drop(reason, screened.tag)
        original = name.species
        if name.species in self.name_fixes:
            fixed = self.name_fixes[name.species]
            self.note("renamed", f"{name.species} -> {fixed}")
            name = TaxonName(fixed.split("_", 1)[0], fixed, name.original, name.note)
        return name, original

    def place(self, genus: str, screened: _Screened) -> _Placement | None:
        """Family (lineage, else family table, else family code) and order of a genus."""
        family, order = self.lineage.get(genus, ("", ""))
        how = ""
        family_how = "family_from_lineage" if family else ""
        order_how = "order_from_lineage" if order else ""
        if not family:
            code = refinputs._FAMILY_CODE_RE.match(screened.ref_id)
            by_genus = self.family_genera.get(genus, "")
            by_code = self.family_codes.get(code.group(1), "") if code else ""
            if by_genus in self.lineage_families:
                family, how = by_genus, "resolved_by_family_table"
            elif by_code in self.lineage_families:
                family, how = by_code, "resolved_by_family_code"
            elif genus not in self.lineage:
                self.tally.not_in_lineage[genus] += 1
                return self.drop("genus_not_in_lineage", screened.tag)
            else:
                return self.drop("no_family", screened.tag)
        if not order:
            order, order_how = self.family_order.get(family, ""), "order_from_lineage_family"
        if not order:
            order, order_how = self.family_orders.get(family, ""), "order_from_curated_table"
        if family_how:
            self.note(family_how, family)
        if order:
            self.note(order_how, family)
        return _Placement(family, order, how)

    def unique_id(self, screened: _Screened) -> str:
        """The record's ID, or ID.2, ID.3... when another name or sequence has it."""
        ref_id, label = screened.ref_id, screened.label
        out_id = ref_id
        if ref_id in self.used_ids:
            n = 2
            while f"{ref_id}.{n}" in self.used_ids or f"{ref_id}.{n}" in self.all_ids:
                n += 1
            out_id = f"{ref_id}.{n}"
            first = self.first_label[ref_id]
            same = "same name" if first == label else f"first was {first}"
            self.note("id_renamed", f"{ref_id} -> {out_id} ({label}, {same})")
        else:
            self.first_label[ref_id] = label
        self.used_ids.add(out_id)
        return out_id

    def common_name(self, name: TaxonName, original_species: str | None, label: str) -> str:
        """The species' common name (under its fixed or its original name), or for a
        genus-only record the name of its informal label."""
        if name.species is not None:
            return self.common_names.get(name.species, "") or self.common_names.get(
                original_species or "", ""
            )
        common = self.common_names.get(name_key(label), "")
        if common:
            self.note("common_names_informal_found", f"{label} = {common}")
        return common

    def note_kept(self, rec: FastaRecord, kept: RefRecord, screened: _Screened, how: str):
        """The report items a kept record counts in."""
        if screened.repaired:
            self.note(
                "malformed_header_repaired", f"line {rec.line}: >{rec.header} -> {kept.label}"
            )
        if how:
            self.note(how, f"{kept.ref_id} ({kept.label}) -> {kept.family}")
        if not kept.order:
            self.note("order_missing", kept.family)
        if screened.changed:
            self.note("sequence_normalised", kept.ref_id)
        if refinputs._AMBIGUOUS.intersection(kept.sequence):
            self.note("ambiguous_bases", kept.ref_id)
        if kept.note in _NOTE_ITEMS:
            self.note(_NOTE_ITEMS[kept.note], kept.label)

    def build(self, rec: FastaRecord) -> RefRecord | None:
        """One record through every step: kept, or None with the reason counted."""
        screened = self.screen(rec)
        if screened is None:
            return None
        named = self.name(rec, screened)
        if named is None:
            return None
        name, original = named
        placement = self.place(name.genus, screened)
        if placement is None:
            return None
        out_id = self.unique_id(screened)
        kept = RefRecord(
            ref_id=out_id,
            sequence=screened.sequence,
            label=screened.label,
            species=name.species,
            genus=name.genus,
            family=placement.family,
            order=placement.order,
            common_name=self.common_name(name, original, screened.label),
            note=name.note,
        )
        self.note_kept(rec, kept, screened, placement.how)
        return kept


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

    Each record is screened (header, sequence, duplicate), named, placed in a family and
    an order and given a unique ID; a record that fails a step is dropped with its reason.
    Returns a :class:`BuildResult`; raises nothing for record-level problems (they are
    counted), see :func:`build_database` for the checks on the whole input.
    """
    builder = _Builder(
        records, lineage, family_codes, family_genera, common_names, name_fixes, family_orders
    )
    kept = [r for r in map(builder.build, records) if r is not None]
    return BuildResult(kept, _report(records, kept, builder.tally, builder.common_names))


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


@dataclass
class _Tables:
    """The tables a build reads beside the FASTA, and the files they came from."""

    inputs: list[Path]
    lineage: dict[str, tuple[str, str]]
    family_codes: dict[str, str] = field(default_factory=dict)
    family_genera: dict[str, str] = field(default_factory=dict)
    common_names: dict[str, str] = field(default_factory=dict)
    conflicts: list[tuple[int, str, str, str]] = field(default_factory=list)
    name_fixes: dict[str, str] = field(default_factory=dict)
    family_orders: dict[str, str] = field(default_factory=dict)


def _read_tables(
    lineage_file: Path,
    family_table_path: str | os.PathLike[str] | None,
    common_names_path: str | os.PathLike[str] | None,
    common_names_encoding: str,
    name_fixes_path: str | os.PathLike[str] | None,
    family_orders_path: str | os.PathLike[str] | None,
) -> _Tables:
    """Read the lineage and each optional table that is given."""
    tables = _Tables(inputs=[lineage_file], lineage=refinputs.read_lineage(lineage_file))
    if family_table_path is not None:
        table = _checked_input(family_table_path, "family table", "family_table")
        tables.inputs.append(table)
        tables.family_codes = refinputs.read_family_table(table)
        tables.family_genera = refinputs.read_family_genera(table)
    if common_names_path is not None:
        names_file = _checked_input(common_names_path, "common-names table", "common_names")
        tables.inputs.append(names_file)
        tables.common_names, tables.conflicts = refinputs._read_common_names_table(
            names_file, common_names_encoding
        )
    if name_fixes_path is not None:
        fixes_file = _checked_input(name_fixes_path, "name table", "name_fixes")
        tables.inputs.append(fixes_file)
        tables.name_fixes = refinputs.read_name_fixes(fixes_file)
    if family_orders_path is not None:
        orders_file = _checked_input(family_orders_path, "family-order table", "family_orders")
        tables.inputs.append(orders_file)
        tables.family_orders = refinputs.read_family_orders(orders_file)
    return tables


def _check_build(
    result: BuildResult, n_records: int, fasta: Path, lineage_file: Path, orders_path
) -> None:
    """Fail on a kept record without an order, and on a build that keeps nothing."""
    gaps = Counter(r.family for r in result.records if not r.order)
    if gaps:
        listed = ", ".join(f"{f} ({n} records)" for f, n in sorted(gaps.items()))
        raise InputError(
            f"{sum(gaps.values())} reference record(s) of {len(gaps)} families have no order "
            f"in the lineage or the family-order table: {listed}",
            path=orders_path or lineage_file,
            hint="add a row 'family<TAB>order<TAB>source' for each to the family-order table "
            "(reference.family_orders, reference_db/family_orders.tsv); an order missing "
            "would drop these fishes from the order tallies",
        )
    if not result.records:
        counts = result.counts()
        reasons = ", ".join(f"{r}: {counts[r]}" for r in DROP_REASONS if counts.get(r))
        raise InputError(
            f"no usable reference record among {n_records} ({reasons})",
            path=fasta,
            hint="headers must look like '>gb|ID|Genus_species' and the genera must be in "
            f"the lineage table ({lineage_file})",
        )


def _add_species_list(result: BuildResult, common_names: dict[str, str]) -> None:
    """Set the default species list (species with a Japanese name) and report it."""
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
    records = refinputs.read_fasta(fasta)
    if not records:
        raise InputError(
            "no FASTA records in the reference file",
            path=fasta,
            hint="expected records like '>gb|AB123456|Genus_species' followed by a sequence",
        )
    tables = _read_tables(
        lineage_file,
        family_table_path,
        common_names_path,
        common_names_encoding,
        name_fixes_path,
        family_orders_path,
    )
    result = build_from_records(
        records,
        tables.lineage,
        tables.family_codes,
        tables.family_genera,
        tables.common_names,
        tables.name_fixes,
        tables.family_orders,
    )
    _check_build(result, len(records), fasta, lineage_file, family_orders_path)
    conflicts = tables.conflicts
    result.report.append(
        ReportLine(
            "common_name_conflicts",
            len(conflicts),
            _examples([f"line {n}: {k} = {a} / {b}" for n, k, a, b in conflicts]),
        )
    )
    _add_species_list(result, tables.common_names)
    inputs = [fasta, *tables.inputs]
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
