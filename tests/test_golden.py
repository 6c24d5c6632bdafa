"""The example's outputs are the ones recorded in tests/golden/example.sha256, byte for
byte (tables, FASTA, figures; the archive's and the workbook's contents): refactoring
must not change a result. A change meant to alter outputs updates the file in the same
commit:

    .venv/bin/python tests/test_golden.py results > tests/golden/example.sha256
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden" / "example.sha256"
FOLDERS = (
    "asv",
    "campaigns",
    "controls",
    "export",
    "qc",
    "stats",
    "tables",
    "tallies",
    "trends",
    "taxonomy",
    "plots",
)
SUFFIXES = (".tsv", ".fasta", ".png")
ARCHIVE_FILES = ("meta.xml", "event.txt", "occurrence.txt", "dna.txt")  # eml.xml has the date


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digests(results: Path) -> dict[str, str]:
    """Path (or archive:member, workbook:cells) -> sha256 of the example's outputs."""
    out = {}
    for folder in FOLDERS:
        for path in sorted((results / folder).rglob("*")):
            if path.suffix in SUFFIXES and path.name != "samples.tsv":  # it holds paths
                out[str(path.relative_to(results))] = _sha(path.read_bytes())
    with zipfile.ZipFile(results / "export" / "dwca.zip") as archive:
        for name in ARCHIVE_FILES:
            out[f"export/dwca.zip:{name}"] = _sha(archive.read(name))
    from openpyxl import load_workbook

    book = load_workbook(results / "tables" / "species_tables.xlsx")
    cells = [
        (sheet.title, c.coordinate, c.value, bool(c.font and c.font.i))
        for sheet in book
        for row in sheet.iter_rows()
        for c in row
        if c.value is not None
    ]
    out["tables/species_tables.xlsx:cells"] = _sha(repr(cells).encode("utf-8"))
    return out


def _read_golden() -> dict[str, str]:
    rows = [line.split() for line in GOLDEN.read_text().splitlines() if not line.startswith("#")]
    return {path: digest for digest, path in rows}


@pytest.mark.workflow
def test_the_example_outputs_are_the_recorded_ones(dev_run):
    got, expected = digests(dev_run), _read_golden()
    changed = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
    assert not changed, "outputs differ from tests/golden/example.sha256: " + ", ".join(changed)


if __name__ == "__main__":
    print(__doc__.split("\n\n")[0].replace("\n", "\n# ").join(["# ", ""]))
    for key, digest in digests(Path(sys.argv[1])).items():
        print(f"{digest}  {key}")
