"""Campaign sample sheets: reading, validation and path resolution.

A campaign's sheet is a tab-separated file with one row per sample (river water, a negative
control or a positive control). Every problem is reported with the sheet, the line and the
column, before any job runs.
"""

from __future__ import annotations

import csv
import datetime
import errno
import gzip
import os
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

from riverfish.errors import InputError

NEGATIVE_CONTROLS = ("field_blank", "extraction_blank", "pcr_negative")
FIELD = "sample"
POSITIVE_CONTROL = "positive_control"

SHEET_COLUMNS = (
    "sample",
    "basin",
    "site",
    "site_role",
    "replicate",
    "pcr_replicate",
    "type",
    "fq1",
    "fq2",
    "run",
    "date",
    "latitude",
    "longitude",
    "notes",
)


def load_schema(path: str | os.PathLike) -> dict:
    """Read a YAML JSON-Schema file."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _coerce(value: str, prop: dict):
    """Turn a sheet cell (text) into the JSON type its schema property asks for.

    Cells that cannot be converted are returned unchanged, so that the schema reports them.
    """
    types = prop.get("type", "string")
    types = [types] if isinstance(types, str) else list(types)
    if value == "":
        if "null" in types:
            return None
        return prop.get("default", "")
    if "integer" in types:
        try:
            return int(value)
        except ValueError:
            return value
    if "number" in types:
        try:
            return float(value)
        except ValueError:
            return value
    return value


def read_sheet(path: str | os.PathLike, schema: dict, campaign: str) -> list[dict]:
    """Read and validate one campaign sheet; return its rows as dicts (cells typed).

    Raises InputError naming the sheet, the line and the column of the first problems.
    """
    path = Path(path)
    reader = csv.reader(_sheet_lines(path, campaign), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = _sheet_header(next(reader), schema, path)
    validator = jsonschema.Draft202012Validator(schema)
    rows: list[dict] = []
    problems: list[str] = []
    for lineno, cells in enumerate(reader, start=2):
        if not cells or all(c.strip() == "" for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                f"{path}, line {lineno}: {len(cells)} cells, expected {len(header)} "
                "(one per header column, tab-separated)"
            )
            continue
        row, found = _sheet_row(header, cells, schema, validator)
        problems.extend(f"{path}, line {lineno}, {p}" for p in found)
        row["_line"] = lineno
        rows.append(row)
    if problems:
        shown = problems[:20]
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise InputError(
            f"the sample sheet of campaign '{campaign}' has {len(problems)} problem(s):\n  "
            + "\n  ".join(shown)
            + more
        )
    if not rows:
        raise InputError(f"the sample sheet of campaign '{campaign}' has no sample rows", path=path)
    return rows


def _sheet_lines(path: Path, campaign: str) -> list[str]:
    """The lines of a sheet that exists and is UTF-8 text with a header line."""
    if not path.is_file():
        raise InputError(
            f"the sample sheet of campaign '{campaign}' does not exist",
            path=path,
            hint="create it, or fix the path under 'campaigns:' in the config "
            "(paths are relative to the project root)",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start}): {exc.reason}"
            + (
                "; it reads as Shift-JIS (cp932), the encoding Japanese Excel uses for "
                "'Text (Tab delimited)'"
                if _reads_as_cp932(path)
                else ""
            ),
            path=path,
            hint="save the sheet as UTF-8 (Excel: 'Unicode Text' or 'CSV UTF-8', then tabs), "
            f"or convert it: iconv -f CP932 -t UTF-8 '{path.name}' > utf8.tsv",
        ) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError("the sheet is empty; a header row is expected", path=path, line=1)
    return lines


def _sheet_header(cells: list[str], schema: dict, path: Path) -> list[str]:
    """The header's column names: known, the required ones present, none twice."""
    header = [h.strip() for h in cells]
    unknown = [h for h in header if h not in schema["properties"]]
    if unknown:
        raise InputError(
            f"unknown column(s) {', '.join(repr(u) for u in unknown)} in the header",
            path=path,
            line=1,
            hint=f"the columns are: {', '.join(SHEET_COLUMNS)} (tab-separated)",
        )
    missing = [c for c in schema["required"] if c not in header]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(repr(m) for m in missing)}; header read: {header!r}",
            path=path,
            line=1,
            hint="the sheet must be tab-separated with the required columns "
            f"{', '.join(schema['required'])}",
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"column(s) {dupes} appear more than once", path=path, line=1)
    return header


def _sheet_row(header, cells, schema, validator) -> tuple[dict, list[str]]:
    """One row's cells typed by the schema, and what is wrong with them."""
    props = schema["properties"]
    row = {h: _coerce(c.strip(), props[h]) for h, c in zip(header, cells, strict=True)}
    problems = []
    for err in sorted(validator.iter_errors(row), key=lambda e: list(e.path)):
        column = err.path[0] if err.path else None
        what = f"column '{column}': " if column else ""
        desc = props.get(column, {}).get("description") if column else None
        problems.append(f"{what}{err.message}" + (f" (expected: {desc})" if desc else ""))
    return row, problems + _cell_problems(row)


FORMULA_STARTS = ("=", "+", "-", "@")


def _reads_as_cp932(path: Path) -> bool:
    try:
        path.read_bytes().decode("cp932")
    except UnicodeDecodeError:
        return False
    return True


def _cell_problems(row: Mapping) -> list[str]:
    """Cells a schema cannot judge: names a spreadsheet would run as a formula, dates
    that do not exist."""
    problems = []
    for col in ("sample", "basin", "site", "notes"):
        value = row.get(col)
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            problems.append(
                f"column '{col}': {value!r} starts with {value[0]!r}, which a spreadsheet "
                "opens as a formula (the tables are meant for spreadsheets); remove it"
            )
    date = row.get("date")
    if isinstance(date, str) and date:
        try:
            datetime.date.fromisoformat(date)
        except ValueError:
            problems.append(
                f"column 'date': {date!r} is not a date of the calendar; write YYYY-MM-DD"
            )
    return problems


def sniff_fastq(path: Path) -> str | None:
    """What is wrong with a read file at first sight, or None if it looks like FASTQ.

    Reads only the first bytes (gzip is decompressed as far as needed), so it is cheap
    enough to run on every file before the workflow starts.
    """
    try:
        size = path.stat().st_size
        if size == 0:
            return (
                "is empty (0 bytes): a failed copy? (a sample without reads is a gzip "
                "file holding no reads)"
            )
        with open(path, "rb") as fh:
            magic = fh.read(6)
        for start, name, tool in COMPRESSIONS:
            if magic.startswith(start):
                return (
                    f"is {name}-compressed; the workflow reads gzip or plain FASTQ: "
                    f"recompress it, e.g. {tool} -dc '{path.name}' | gzip > "
                    f"'{path.name.rsplit('.', 1)[0]}.gz'"
                )
        if magic[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        else:
            if path.name.endswith(".gz"):
                return (
                    "is named .gz but is not gzip-compressed (plain text?); gzip it or take "
                    ".gz off its name"
                )
            with open(path, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        return f"cannot be read ({exc})"
    if not head:
        return None  # a valid gzip file holding no reads: an empty sample
    if head[:1] == b">":
        return "is FASTA (no base qualities); FASTQ is expected"
    if head[:1] != b"@":
        shown = head[:20].decode("ascii", "replace")
        return f"is not FASTQ: it starts with {shown!r}, a FASTQ record starts with '@'"
    lines = head.split(b"\n")
    quals = b"".join(lines[i] for i in range(3, len(lines) - 1, 4))
    if len(quals) >= 50 and min(quals) >= 59 and max(quals) > 75:
        return (
            "has Phred+64 base qualities (Illumina 1.3-1.7); convert them to Phred+33, e.g. "
            f"seqtk seq -Q64 -V '{path.name}' | gzip > converted.fastq.gz"
        )
    return None


#: compressed formats the workflow does not read: magic bytes, name, the tool to unpack
COMPRESSIONS = (
    (b"BZh", "bzip2", "bzip2"),
    (b"\x28\xb5\x2f\xfd", "zstd", "zstd"),
    (b"\xfd7zXZ", "xz", "xz"),
)
SNIFF_BYTES = 4096


def _not_a_file(path: Path) -> str | None:
    """Why a FASTQ path is not a readable file, for a folder or a symbolic link loop."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link that points to itself (a loop), not a FASTQ file"
        return None
    if path.is_dir():
        return "a folder, not a FASTQ file; give the file of the sample's reads"
    return None


def _same_content(a: Path, b: Path, size: int = 1 << 16) -> bool:
    """Whether two read files hold the same data (same size and same first 64 kB)."""
    try:
        if not (a.is_file() and b.is_file()) or a.stat().st_size != b.stat().st_size:
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            first = fa.read(size)
            if first != fb.read(size):
                return False
        opener = gzip.open if first[:2] == b"\x1f\x8b" else open
        with opener(a, "rb") as fh:
            return bool(fh.read(1))  # two files without reads are two empty samples
    except (OSError, EOFError):
        return False


def resolve_path(value: str, root: Path) -> Path:
    """A path from a sheet: absolute, or relative to the project root."""
    p = Path(value)
    return Path(os.path.normpath(p if p.is_absolute() else root / p))


def load_campaigns(
    campaigns: Mapping[str, str],
    schema: dict,
    root: str | os.PathLike,
    check_files: bool = True,
) -> pd.DataFrame:
    """Read every campaign's sheet, check it, and return one table of all samples.

    The table has the sheet columns (defaults filled in), a ``campaign`` column, absolute
    ``fq1``/``fq2`` paths, and ``sheet``/``line`` for messages. Sample names must be unique
    across all campaigns; FASTQ files must exist and be readable.
    """
    root = Path(root).resolve()
    records: list[dict] = []
    seen: dict[str, tuple[Path, int]] = {}
    used_by: dict[str, tuple[str, int]] = {}
    problems: list[str] = []
    for campaign, sheet in campaigns.items():
        sheet_path = resolve_path(sheet, root)
        for row in read_sheet(sheet_path, schema, campaign):
            line = row.pop("_line")
            name = row["sample"]
            if name in seen:
                first_sheet, first_line = seen[name]
                problems.append(
                    f"{sheet_path}, line {line}, column 'sample': sample name '{name}' is "
                    f"already used at {first_sheet}, line {first_line}; sample names must "
                    "be unique across all campaigns"
                )
                continue
            seen[name] = (sheet_path, line)
            for col in ("fq1", "fq2"):
                fq = resolve_path(row[col], root)
                mate = "R1" if col == "fq1" else "R2"
                where = f"{sheet_path}, line {line}, column '{col}' ({mate} of sample '{name}')"
                if check_files and (kind := _not_a_file(fq)):
                    problems.append(f"{where}: {kind}: {fq}")
                elif check_files and not fq.is_file():
                    problems.append(
                        f"{sheet_path}, line {line}, column '{col}': FASTQ file of sample "
                        f"'{name}' not found: {fq} (paths are relative to the project "
                        f"root {root}, or absolute)"
                    )
                elif check_files and not os.access(fq, os.R_OK):
                    problems.append(
                        f"{sheet_path}, line {line}, column '{col}': FASTQ file of sample "
                        f"'{name}' is not readable: {fq} (check its permissions)"
                    )
                elif check_files and (wrong := sniff_fastq(fq)):
                    problems.append(
                        f"{sheet_path}, line {line}, column '{col}': the file of sample "
                        f"'{name}' ({mate}) {wrong}: {fq}"
                    )
                if check_files and str(fq) in used_by and fq.is_file():
                    other, other_line = used_by[str(fq)]
                    problems.append(
                        f"{where}: the same file as sample '{other}' uses (line {other_line}): "
                        f"{fq}; a copy-paste slip? each sample has its own FASTQ pair"
                    )
                used_by.setdefault(str(fq), (name, line))
                row[col] = str(fq)
            if row["fq1"] == row["fq2"]:
                problems.append(
                    f"{sheet_path}, line {line}: fq1 and fq2 of sample '{name}' are the same "
                    "file; give the forward (R1) and reverse (R2) reads"
                )
            elif check_files and _same_content(Path(row["fq1"]), Path(row["fq2"])):
                problems.append(
                    f"{sheet_path}, line {line}: fq1 (R1) and fq2 (R2) of sample '{name}' hold "
                    "the same reads (one mate copied over the other?); give the forward (R1) "
                    "and reverse (R2) reads of the run"
                )
            full = {c: schema["properties"][c].get("default", "") for c in SHEET_COLUMNS}
            full.update(row)
            full["campaign"] = campaign
            full["sheet"] = str(sheet_path)
            full["line"] = line
            records.append(full)
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in the sample sheets:\n  " + "\n  ".join(problems[:20])
        )
    table = pd.DataFrame.from_records(records)
    table["replicate"] = table["replicate"].astype(int)
    table["pcr_replicate"] = table["pcr_replicate"].astype(int)
    problems = check_design(table)
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in the sample sheets:\n  " + "\n  ".join(problems[:20])
        )
    return table


def check_design(table: pd.DataFrame) -> list[str]:
    """Problems of the sampling design across the sheets: two libraries with the same
    water sample and PCR replicate, several reference sites in a basin, an impacted site
    without a reference site in its basin, a site marked both ways."""
    problems = []
    fields = table.loc[table["type"] == FIELD]
    key = ["campaign", "basin", "site", "replicate", "pcr_replicate"]
    for _, group in fields.loc[fields.duplicated(key, keep=False)].groupby(key, sort=False):
        first, *rest = group.itertuples(index=False)
        for row in rest:
            problems.append(
                f"{row.sheet}, line {row.line}: sample '{row.sample}' has the same site "
                f"({row.site}), replicate ({row.replicate}) and pcr_replicate "
                f"({row.pcr_replicate}) as '{first.sample}' at line {first.line}; number the "
                "field replicates of a site 1, 2, ... and, for PCR replicates of one water "
                "sample, set pcr_replicate 1, 2, ..."
            )
    roles = fields.loc[fields["site_role"] != "", ["basin", "site", "site_role"]].drop_duplicates()
    refs = roles.loc[roles["site_role"] == "reference"].groupby("basin")["site"].unique()
    for basin, sites in refs.items():
        if len(sites) > 1:
            problems.append(
                f"basin '{basin}' has {len(sites)} reference sites ({', '.join(sites)}); mark "
                "one unimpacted site per basin with site_role 'reference'"
            )
    impacted = roles.loc[roles["site_role"] == "impacted"]
    for row in impacted.itertuples(index=False):
        if row.basin not in refs:
            problems.append(
                f"site '{row.site}' of basin '{row.basin}' is marked impacted but the basin has "
                "no reference site; mark its unimpacted site with site_role 'reference' (or "
                "leave site_role empty)"
            )
        elif row.site in refs[row.basin]:
            problems.append(
                f"site '{row.site}' is marked both 'reference' and 'impacted'; give a site one "
                "site_role in every campaign"
            )
    return problems


def order_sites(table: pd.DataFrame, site_order: Mapping[str, list[str]]) -> pd.DataFrame:
    """The samples with each basin's sites in the order ``site_order`` gives (basin ->
    sites, upstream to downstream); what follows the sheets' order of sites uses it.

    Within a campaign, the rows keep the order of their basin's first appearance; a basin's
    listed sites come first, in the given order, then its other sites and controls as the
    sheets list them. A basin or site that no sheet names is an error that lists the names
    the sheets use.
    """
    problems = []
    fields = table.loc[table["type"] == FIELD]
    known = {b: list(dict.fromkeys(g["site"])) for b, g in fields.groupby("basin", sort=False)}
    for basin, sites in site_order.items():
        if basin not in known:
            problems.append(
                f"site_order names basin '{basin}', which no sample sheet has river samples "
                f"of; the sheets' basins: {', '.join(known) or 'none'}"
            )
            continue
        unknown = [s for s in sites if s not in known[basin]]
        if unknown:
            problems.append(
                f"site_order of basin '{basin}' names site(s) {', '.join(unknown)} that no "
                f"sheet has; the basin's sites: {', '.join(known[basin])}"
            )
        doubled = sorted({s for s in sites if list(sites).count(s) > 1})
        if doubled:
            problems.append(
                f"site_order of basin '{basin}' lists {', '.join(doubled)} more than once"
            )
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in the config's site_order:\n  " + "\n  ".join(problems)
        )
    if not site_order:
        return table
    campaigns = {c: i for i, c in enumerate(dict.fromkeys(table["campaign"]))}
    basins = {b: i for i, b in enumerate(dict.fromkeys(table["basin"]))}
    rank = {(b, s): i for b, sites in site_order.items() for i, s in enumerate(sites)}
    key = pd.DataFrame(
        {
            "campaign": table["campaign"].map(campaigns),
            "basin": table["basin"].map(basins),
            "site": [
                rank.get((b, s), len(rank))
                for b, s in zip(table["basin"], table["site"], strict=True)
            ],
            "position": range(len(table)),
        },
        index=table.index,
    )
    order = key.sort_values(["campaign", "basin", "site", "position"]).index
    return table.loc[order]
