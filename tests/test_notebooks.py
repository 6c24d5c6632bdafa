"""The review notebooks: they run headless (papermill) on the example's results, show the
workflow's tables unchanged, and state the trends the numbers say.

The helpers of the notebooks (riverfish.review) are tested first on small tables; the notebooks then
run on the results of the example run (the session fixture ``dev_run``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pandas as pd
import pytest
from browser import CHROMIUM, boxes_instead_of_glyphs, chromium, japanese_runs, page_style

from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))

import review  # noqa: E402

SITE_COLUMNS = ["2025-spring / A-down", "2025-spring / A-up", "2025-autumn / A-down"]


def small_samples() -> pd.DataFrame:
    rows = [
        (f"{site}_{campaign}_r{rep}", campaign, "Alpha", site, role, str(rep), "sample")
        for campaign in ("2025-spring", "2025-autumn")
        for site, role in (("A-down", ""), ("A-up", "reference"))
        for rep in (1, 2)
        if not (campaign == "2025-autumn" and site == "A-up")
    ]
    rows.append(("blank_2025-spring", "2025-spring", "Alpha", "A-up", "", "1", "field_blank"))
    columns = ["sample", "campaign", "basin", "site", "site_role", "replicate", "type"]
    return pd.DataFrame(rows, columns=columns)


def small_species_table() -> pd.DataFrame:
    rows = [
        ["Cypriniformes", "Cyprinidae", "Cyprinus_carpio", "species", "コイ"],
        ["Gobiiformes", "Gobiidae", "Rhinogobius_sp", "genus", ""],
        ["Salmoniformes", "Salmonidae", "Oncorhynchus_masou", "species", "サクラマス"],
    ]
    cells = [
        ["2/2 (120)", "", "1/2 (15)"],
        ["1/2 (30)", "", ""],
        ["", "2/2 (900)", "2/2 (40)"],
    ]
    return pd.DataFrame(
        [r + c for r, c in zip(rows, cells, strict=True)],
        columns=[*review.ROW_COLUMNS, *SITE_COLUMNS],
    )


# ---------------------------------------------------------------------------------------
# helpers


def test_as_list_and_parse_cell():
    assert review.as_list(None) == []
    assert review.as_list("") == []
    assert review.as_list("2025-spring, 2025-autumn") == ["2025-spring", "2025-autumn"]
    assert review.as_list(["HY-up"]) == ["HY-up"]
    assert review.parse_cell("2/3 (1769)") == (2, 3, 1769)
    assert review.parse_cell("") is None
    with pytest.raises(ValueError, match="positive/total"):
        review.parse_cell("present")


def test_choices_follow_the_sample_table():
    samples = small_samples()
    assert review.choose_basin(samples, "") == "Alpha"
    with pytest.raises(ValueError, match="basins: Alpha"):
        review.choose_basin(samples, "Beta")
    assert review.choose_campaigns(samples, "Alpha", []) == ["2025-spring", "2025-autumn"]
    assert review.choose_campaigns(samples, "Alpha", "2025-autumn") == ["2025-autumn"]
    with pytest.raises(ValueError, match="not sampled in 2026-spring"):
        review.choose_campaigns(samples, "Alpha", ["2026-spring"])
    assert review.reference_site(samples, "Alpha") == "A-up"
    assert review.site_order(samples, "Alpha") == ["A-down", "A-up"]


def test_filter_species_table():
    samples, table = small_samples(), small_species_table()
    same = review.filter_species_table(table, samples, "Alpha")
    pd.testing.assert_frame_equal(same, table)

    strong = review.filter_species_table(table, samples, "Alpha", min_support=2)
    assert list(strong["taxon"]) == ["Cyprinus_carpio", "Oncorhynchus_masou"]
    assert list(strong["2025-autumn / A-down"]) == ["", "2/2 (40)"]

    down = review.filter_species_table(table, samples, "Alpha", ranks="genus", sites=["A-down"])
    assert list(down.columns) == [*review.ROW_COLUMNS, SITE_COLUMNS[0], SITE_COLUMNS[2]]
    assert list(down["taxon"]) == ["Rhinogobius_sp"]
    with pytest.raises(ValueError, match="no site"):
        review.filter_species_table(table, samples, "Alpha", sites="B-up")
    with pytest.raises(ValueError, match="unknown rank"):
        review.filter_species_table(table, samples, "Alpha", ranks="kingdom")


def test_species_long_and_readable_names():
    samples, table = small_samples(), small_species_table()
    cells = review.species_long(table, samples, "Alpha")
    assert len(cells) == 5
    first = cells.iloc[0]
    assert (first["campaign"], first["site"], first["reads"]) == ("2025-spring", "A-down", 120)
    shown = review.readable(table)
    assert list(shown["scientific name"]) == [
        "Cyprinus carpio",
        "Rhinogobius sp.",
        "Oncorhynchus masou",
    ]
    assert list(shown["Japanese name"]) == ["コイ", "—", "サクラマス"]


def richness_rows(site: str, counts: list[int], campaigns=("2025-spring", "2025-autumn")):
    return [
        {
            "basin": "Alpha",
            "site": site,
            "campaign": c,
            "n_orders": n,
            "n_families": n,
            "n_species": n,
        }
        for c, n in zip(campaigns, counts, strict=False)
    ]


def test_richness_sentences_state_the_direction():
    rows = richness_rows("A-mine", [2, 5]) + richness_rows("A-down", [9, 7])
    rows += richness_rows("A-up", [4, 4]) + richness_rows("A-new", [3])
    sentences = review.richness_sentences(pd.DataFrame(rows), reference="A-up")
    assert sentences == [
        "A-down: species richness fell from 9 species in 2025-spring to 7 in 2025-autumn "
        "(-2; families 9 → 7, orders 9 → 7).",
        "A-mine: species richness rose from 2 species in 2025-spring to 5 in 2025-autumn "
        "(+3; families 2 → 5, orders 2 → 5).",
        "A-new: 3 species in 2025-spring (one campaign: no trend to state).",
        "A-up (reference site): species richness stayed at 4 species from 2025-spring to "
        "2025-autumn.",
    ]


def test_similarity_and_turnover_sentences():
    similarity = pd.DataFrame(
        {
            "basin": "Alpha",
            "campaign": ["2025-spring", "2025-spring", "2025-autumn", "2025-autumn"],
            "site": ["A-mine", "A-up", "A-mine", "A-up"],
            "reference_site": "A-up",
            "n_shared": [0, 4, 2, 4],
            "sorensen": [0.0, 1.0, 0.4444, 1.0],
            "jaccard": [float("nan"), 1.0, 0.2857, 1.0],
            "note": ["", "reference site", "", "reference site"],
        }
    )
    assert review.similarity_sentences(similarity) == [
        "A-mine: Sørensen similarity to A-up rose from 0.00 in 2025-spring to 0.44 in "
        "2025-autumn (shared taxa 0 → 2)."
    ]
    assert review.similarity_sentences(similarity, "jaccard") == [
        "A-mine: Jaccard similarity to A-up was 0.29 in 2025-autumn (2 shared taxa)."
    ]
    first_last = pd.DataFrame(
        {
            "taxon": ["Mugil_cephalus", "Plecoglossus_altivelis", "Cyprinus_carpio"],
            "first_campaign": ["2025-autumn", "2025-spring", "2025-spring"],
            "last_campaign": ["2025-autumn", "2025-spring", "2025-autumn"],
        }
    )
    assert review.first_last_sentences(first_last, ["2025-spring", "2025-autumn"]) == [
        "First detected in 2025-autumn: Mugil cephalus.",
        "Not detected in 2025-autumn: Plecoglossus altivelis (last 2025-spring).",
    ]


def test_plots_have_labelled_axes():
    campaigns = ["2025-spring", "2025-autumn"]
    richness = pd.DataFrame(richness_rows("A-mine", [2, 5]) + richness_rows("A-up", [4, 4]))
    figures = [review.plot_richness(richness, campaigns, "A-up")]
    similarity = pd.DataFrame(
        {
            "campaign": campaigns,
            "site": "A-mine",
            "reference_site": "A-up",
            "sorensen": [0.0, 0.44],
        }
    )
    figures.append(review.plot_similarity(similarity, campaigns))
    detections = pd.DataFrame(
        {"taxon": ["Mugil_cephalus"], "campaign": ["2025-autumn"], "site": ["A-mine"]}
    ).assign(detected=True)
    figures.append(review.plot_detections(detections, campaigns))
    indicators = pd.DataFrame(
        {"campaign": campaigns, "group": "migratory", "n_taxa": [1, 2], "taxa": ["a", "a, b"]}
    )
    figures.append(review.plot_indicators(indicators, campaigns))
    for fig in figures:
        for ax in fig.axes:
            assert ax.get_ylabel(), fig
            assert ax.get_label() == "<colorbar>" or ax.get_xlabel(), fig
        # the measured axis says its unit
        ylabels = " ".join(ax.get_ylabel() for ax in fig.axes)
        assert re.search(r"\(count\)|0 = no taxon shared", ylabels), ylabels


def test_locate_results_from_the_project_or_the_notebooks(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "results" / "tables").mkdir(parents=True)
    (project / "results" / "tables" / "samples.tsv").write_text("sample\n")
    monkeypatch.chdir(project / "notebooks")
    found = review.locate_results("results", project / "notebooks")
    assert found == (project / "results").resolve()
    monkeypatch.chdir(project)
    assert review.locate_results("results", project / "notebooks") == found
    with pytest.raises(FileNotFoundError, match="run the workflow first"):
        review.locate_results("elsewhere", project / "notebooks")


# ---------------------------------------------------------------------------------------
# the notebooks on the example's results


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A kernel named python3 that runs the Python of the tests, found before any other
    (JUPYTER_PATH comes first), with IPython's and Jupyter's state in a temp folder."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "data" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel_json = {"argv": argv, "display_name": "Python 3 (tests)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel_json))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(root / "data"))
        mp.setenv("JUPYTER_RUNTIME_DIR", str(root / "runtime"))
        mp.setenv("IPYTHONDIR", str(root / "ipython"))
        yield "python3"


def execute(kernel: str, name: str, out_dir, cwd=NOTEBOOKS, **parameters):
    """Run a notebook with papermill (an error in any cell fails); the executed notebook."""
    import papermill

    out = out_dir / name
    papermill.execute_notebook(
        str(NOTEBOOKS / name),
        str(out),
        parameters=parameters,
        kernel_name=kernel,
        cwd=str(cwd),
        progress_bar=False,
    )
    return nbformat.read(out, as_version=4)


def read_text(path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")


def outputs_of(nb, tag: str) -> list[dict]:
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag} expected"
    return cells[0].outputs


@pytest.mark.workflow
@pytest.mark.parametrize(
    ("basin", "campaigns"), [("Hayase", []), ("Kanose", ["2025-autumn"])], ids=["Hayase", "Kanose"]
)
def test_species_tables_notebook_shows_the_workflow_table(
    dev_run, kernel, tmp_path, basin, campaigns
):
    export = tmp_path / f"{basin}.tsv"
    execute(
        kernel,
        "species_tables.ipynb",
        tmp_path,
        results_dir=str(dev_run),
        basin=basin,
        campaigns=campaigns,
        export_path=str(export),
    )
    shown = read_text(export)

    table = read_text(dev_run / "tables" / "species" / f"{basin}.tsv")
    if campaigns:
        keep = [c for c in table.columns if c.split(" / ")[0] in campaigns]
        table = table.loc[:, [*review.ROW_COLUMNS, *keep]]
        table = table.loc[(table.loc[:, keep] != "").any(axis=1)].reset_index(drop=True)
    assert len(table) > 5
    pd.testing.assert_frame_equal(shown, table)


@pytest.mark.workflow
@pytest.mark.parametrize(
    ("basin", "cwd"), [("Hayase", NOTEBOOKS), ("Kanose", ROOT)], ids=["Hayase", "Kanose-from-root"]
)
def test_recovery_trends_notebook_shows_the_tallies_and_states_the_trend(
    dev_run, kernel, tmp_path, basin, cwd
):
    export = tmp_path / f"{basin}_richness.tsv"
    nb = execute(
        kernel,
        "recovery_trends.ipynb",
        tmp_path,
        cwd=cwd,
        results_dir=str(dev_run),
        basin=basin,
        export_path=str(export),
    )
    shown = read_text(export)

    # the richness table is trends/richness.tsv of the basin, whose numbers are those of
    # tallies/site_campaign.tsv
    richness = read_text(dev_run / "trends" / "richness.tsv")
    richness = richness.loc[richness["basin"] == basin].reset_index(drop=True)
    pd.testing.assert_frame_equal(shown, richness)
    tallies = read_text(dev_run / "tallies" / "site_campaign.tsv")
    tallies = tallies.loc[tallies["basin"] == basin]
    keys = ["basin", "site", "campaign"]
    pd.testing.assert_frame_equal(
        shown.loc[:, tallies.columns].sort_values(keys).reset_index(drop=True),
        tallies.sort_values(keys).reset_index(drop=True),
    )

    summary = "".join(
        o["data"]["text/markdown"] for o in outputs_of(nb, "trend-summary") if "data" in o
    )
    campaigns = list(dict.fromkeys(read_text(dev_run / "tables" / "samples.tsv")["campaign"]))
    for site, rows in tallies.groupby("site"):
        rows = rows.set_index("campaign").loc[campaigns]
        first, last = int(rows["n_species"].iloc[0]), int(rows["n_species"].iloc[-1])
        if first == last:
            expected = f"{site}.*stayed at {last} species from {campaigns[0]} to {campaigns[-1]}"
        else:
            verb = "rose" if last > first else "fell"
            expected = (
                f"{site}.*{verb} from {first} species in {campaigns[0]} "
                f"to {last} in {campaigns[-1]}"
            )
        assert re.search(expected, summary), (expected, summary)
    if basin == "Hayase":
        assert re.search(
            r"HY-mine: species richness rose from 2 species in 2025-spring to 5 in 2025-autumn",
            summary,
        ), summary

    # the recovery verdict of the basin's mine site, in words, with its numbers
    verdict_text = "".join(
        o["data"]["text/markdown"] for o in outputs_of(nb, "recovery-verdict") if "data" in o
    )
    verdicts = read_text(dev_run / "stats" / "recovery_verdicts.tsv")
    row = verdicts.loc[verdicts["basin"] == basin].iloc[0]
    assert f"{row['site']} against the reference site {row['reference_site']}: " in verdict_text
    assert f"**{row['verdict']}**" in verdict_text
    first, last = float(row["per_sample_first"]), float(row["per_sample_last"])
    assert f"went from {first:.2f} ({row['first_campaign']}) to {last:.2f}" in verdict_text

    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 5  # four figures and the recovery plot of results/plots


@pytest.mark.workflow
def test_render_command_writes_pages_without_code(dev_run, tmp_path):
    """notebooks/render.py: both notebooks of a basin as HTML pages to send round: no
    code, no index column, numbers rounded, no <NA>."""
    import render

    pages = render.render(dev_run, "Kanose", tmp_path)
    assert [p.name for p in pages] == [
        "Kanose_species_tables.html",
        "Kanose_recovery_trends.html",
    ]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "review." not in text and "import " not in text  # no code cell
        assert "&lt;NA&gt;" not in text and ">nan<" not in text
        assert "row_heading" not in text  # no index column
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", text)
        assert cells
        assert not [c for c in cells if re.fullmatch(r"-?\d+\.\d{3,}", c.strip())]
    # the Japanese names are drawn on a machine without Japanese fonts
    species = pages[0].read_text(encoding="utf-8")
    if CHROMIUM:
        drawn = chromium("--virtual-time-budget=10000", "--dump-dom", pages[0].as_uri()).stdout
        runs = [r for r in japanese_runs(drawn) if len(r) < 40]
        assert "ウナギ" in runs
        assert boxes_instead_of_glyphs(runs, page_style(species), tmp_path / "glyphs") == []
    trends = pages[1].read_text(encoding="utf-8")
    verdict = read_text(dev_run / "stats" / "recovery_verdicts.tsv").set_index("site")
    assert f"<strong>{verdict.loc['KN-mine', 'verdict']}</strong>" in trends
    # the same from the command line, with a clear error on a folder without results
    proc = subprocess.run(
        [
            sys.executable,
            str(NOTEBOOKS / "render.py"),
            "--basin",
            "Kanose",
            "--results",
            str(tmp_path / "nothing"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "holds no workflow results" in proc.stderr
