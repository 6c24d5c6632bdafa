"""A campaign's sample sheet from a folder of paired FASTQ files (a template to complete).

    ./run sheet READS_FOLDER --pattern '(?P<site>[A-Za-z0-9]+)-rep(?P<replicate>\\d+)' \\
        --basin Miyata --out config/campaigns/2026-spring.tsv

Files are paired by their Illumina names (``<name>_S1_L001_R1_001.fastq.gz`` and
``..._R2_001``; also ``<name>_R1.fastq.gz`` and ``<name>_1.fastq.gz``). The sample column
is the name before the sample number, lane and mate; fq1 and fq2 are filled in (relative to
the project root where the files are inside it). The other columns come from the named
groups of ``--pattern`` matched against the sample name (``basin``, ``site``,
``replicate``, ``type``, ``site_role``), or from ``--basin``; what neither gives is left
blank for the user to fill in (the workflow refuses a sheet with blanks in required
columns, naming the line).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from riverfish.errors import InputError

COLUMNS = ["sample", "basin", "site", "site_role", "replicate", "type", "fq1", "fq2"]
GROUPS = ("basin", "site", "site_role", "replicate", "type")
#: Illumina and common mate names: (regex, mate group); the name is what comes before
NAMES = (
    re.compile(
        r"^(?P<name>.+?)_S\d+(?:_L(?P<lane>\d{3}))?_R(?P<mate>[12])_001\.f(?:ast)?q(?:\.gz)?$"
    ),
    re.compile(r"^(?P<name>.+?)(?:_L(?P<lane>\d{3}))?_R(?P<mate>[12])\.f(?:ast)?q(?:\.gz)?$"),
    re.compile(r"^(?P<name>.+?)_(?P<mate>[12])\.f(?:ast)?q(?:\.gz)?$"),
)


def parse_name(filename: str) -> tuple[str, str, str] | None:
    """(sample name, lane or "", mate "1"/"2") of a FASTQ file name, or None."""
    for pattern in NAMES:
        m = pattern.match(filename)
        if m:
            return m.group("name"), m.groupdict().get("lane") or "", m.group("mate")
    return None


def pairs(folder: Path) -> list[tuple[str, Path, Path]]:
    """The (sample, R1, R2) pairs of a folder, sorted by sample name. Raises InputError
    for a mate without its partner or a sample on several lanes."""
    found: dict[str, dict[str, list[tuple[str, Path]]]] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        parsed = parse_name(path.name)
        if parsed is None:
            continue
        name, lane, mate = parsed
        found.setdefault(name, {}).setdefault(mate, []).append((lane, path))
    problems = []
    out = []
    for name, mates in sorted(found.items()):
        if set(mates) != {"1", "2"}:
            have = "1" if "1" in mates else "2"
            missing = "R2" if have == "1" else "R1"
            problems.append(f"sample {name}: {mates[have][0][1].name} has no {missing} beside it")
            continue
        if len(mates["1"]) > 1 or len(mates["2"]) > 1:
            lanes = ", ".join(sorted(lane for lane, _ in mates["1"]))
            problems.append(
                f"sample {name} was sequenced on several lanes ({lanes}); join each mate's "
                f"lanes first, e.g. cat {name}_*_R1_001.fastq.gz > {name}_R1.fastq.gz"
            )
            continue
        out.append((name, mates["1"][0][1], mates["2"][0][1]))
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) pairing the reads of {folder}:\n  " + "\n  ".join(problems)
        )
    if not out:
        raise InputError(
            f"no paired FASTQ files in {folder} (expected names like "
            "Site1-rep1_S1_L001_R1_001.fastq.gz and ..._R2_001.fastq.gz)",
        )
    return out


def _shown(path: Path, root: Path) -> str:
    """The path as the sheet gives it: relative to the project root where inside it
    (links are kept, not followed), else absolute."""
    path = Path(os.path.abspath(path))
    try:
        return str(path.relative_to(os.path.abspath(root)))
    except ValueError:
        return str(path)


def sheet_rows(
    folder: str | Path,
    pattern: str | None = None,
    basin: str = "",
    root: str | Path = ".",
) -> list[dict]:
    """The sheet's rows (see the module's text)."""
    folder, root = Path(folder), Path(root)
    if not folder.is_dir():
        raise InputError(
            f"{folder} is not a folder", hint="give the folder of the run's FASTQ files"
        )
    regex = None
    if pattern:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise InputError(f"--pattern {pattern!r} is not a regular expression: {exc}") from None
        unknown = set(regex.groupindex) - set(GROUPS)
        if unknown:
            raise InputError(
                f"--pattern names group(s) {', '.join(sorted(unknown))}; the groups it may "
                f"name are {', '.join(GROUPS)}"
            )
    rows = []
    for name, r1, r2 in pairs(folder):
        row = dict.fromkeys(COLUMNS, "")
        row.update(sample=name, basin=basin, fq1=_shown(r1, root), fq2=_shown(r2, root))
        m = regex.search(name) if regex else None
        if m:
            row.update({k: v for k, v in m.groupdict().items() if v is not None})
        rows.append(row)
    return rows


def to_tsv(rows: Sequence[dict]) -> str:
    lines = ["\t".join(COLUMNS)] + ["\t".join(str(r[c]) for c in COLUMNS) for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("folder", type=Path, help="folder of the run's paired FASTQ files")
    ap.add_argument(
        "--pattern", help="regular expression with named groups matched to sample names"
    )
    ap.add_argument(
        "--basin", default="", help="the basin of every sample (unless --pattern names it)"
    )
    ap.add_argument("--out", type=Path, help="the sheet to write (default: standard output)")
    ap.add_argument("--root", type=Path, default=Path("."), help="project root for relative paths")
    args = ap.parse_args(argv)
    try:
        rows = sheet_rows(args.folder, args.pattern, args.basin, args.root)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = to_tsv(rows)
    if args.out:
        if args.out.exists():
            print(
                f"error: {args.out} exists; give another --out (nothing was written)",
                file=sys.stderr,
            )
            return 1
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        blanks = sum(1 for r in rows for c in ("basin", "site", "replicate", "type") if not r[c])
        print(
            f"{len(rows)} samples written to {args.out}; {blanks} cell(s) to fill in",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
