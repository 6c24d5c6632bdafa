"""Render both review notebooks of a basin to HTML pages to send round: run with
papermill on a workflow's results, then converted without the code cells.

    .venv/bin/python notebooks/render.py --basin Hayase [--results results] [--out DIR]
    ./run notebooks --basin Hayase

Writes ``<out>/<basin>_species_tables.html`` and ``<out>/<basin>_recovery_trends.html``
(default ``<results>/review/``) and prints their paths. The executed notebooks are kept
beside them (``.ipynb``) for a reviewer who wants the code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOKS = ("species_tables", "recovery_trends")


def render(results: Path, basin: str, out: Path, kernel: str = "python3") -> list[Path]:
    """Execute both notebooks for ``basin`` and write their HTML without code cells."""
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    from riverfish import webfont

    out.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    pages = []
    for name in NOTEBOOKS:
        executed = out / f"{basin}_{name}.ipynb"
        papermill.execute_notebook(
            str(HERE / f"{name}.ipynb"),
            str(executed),
            parameters={
                "results_dir": str(results.resolve()),
                "basin": basin,
                "export_path": str(out / f"{basin}_{name}.tsv"),
            },
            kernel_name=kernel,
            cwd=str(HERE),
            progress_bar=False,
        )
        body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
        page = out / f"{basin}_{name}.html"
        page.write_text(webfont.embed(body), encoding="utf-8")
        pages.append(page)
    return pages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--basin", required=True, help="the basin, as in the sample sheets")
    ap.add_argument(
        "--results",
        type=Path,
        default=Path("results"),
        help="the workflow's output folder (default: results)",
    )
    ap.add_argument("--out", type=Path, help="where the pages go (default: RESULTS/review)")
    ap.add_argument("--kernel", default="python3", help="Jupyter kernel (default: python3)")
    args = ap.parse_args(argv)
    if not (args.results / "tables" / "samples.tsv").is_file():
        print(
            f"error: {args.results} holds no workflow results (no tables/samples.tsv); run the "
            "workflow first, or give --results",
            file=sys.stderr,
        )
        return 1
    for page in render(args.results, args.basin, args.out or args.results / "review", args.kernel):
        print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
