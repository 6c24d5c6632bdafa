"""Figures: what is drawn (inspected on the Figure) and the files written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from riverfish import plots
from riverfish.errors import InputError

CAMPAIGNS = ["2024-spring", "2024-autumn", "2025-spring"]


def site_campaign() -> pd.DataFrame:
    rows = [
        ("Alpha", "A-up", "2024-spring", 2, 3, 4),
        ("Alpha", "A-up", "2024-autumn", 2, 3, 5),
        ("Alpha", "A-up", "2025-spring", 2, 3, 5),
        ("Alpha", "A-mine", "2024-spring", 0, 0, 0),
        ("Alpha", "A-mine", "2024-autumn", 1, 1, 1),
        ("Alpha", "A-mine", "2025-spring", 2, 2, 3),
        ("Alpha", "A-down", "2024-spring", 3, 4, 6),
        ("Alpha", "A-down", "2025-spring", 3, 5, 7),
        ("Beta", "B-1", "2024-spring", 1, 1, 2),
        ("Beta", "B-2", "2024-spring", 1, 2, 2),
    ]
    return pd.DataFrame(
        rows, columns=["basin", "site", "campaign", "n_orders", "n_families", "n_species"]
    )


def site_detections() -> pd.DataFrame:
    rows = [
        (
            "Alpha",
            "A-up",
            "2024-spring",
            "Salvelinus_leucomaenis",
            "Salmonidae",
            "Salmoniformes",
            2,
            True,
        ),
        (
            "Alpha",
            "A-mine",
            "2024-spring",
            "Salvelinus_leucomaenis",
            "Salmonidae",
            "Salmoniformes",
            1,
            True,
        ),
        (
            "Alpha",
            "A-up",
            "2025-spring",
            "Salvelinus_leucomaenis",
            "Salmonidae",
            "Salmoniformes",
            2,
            True,
        ),
        ("Alpha", "A-up", "2024-autumn", "Cottus_pollux", "Cottidae", "Perciformes", 1, True),
        (
            "Alpha",
            "A-mine",
            "2024-autumn",
            "Zacco_platypus",
            "Cyprinidae",
            "Cypriniformes",
            1,
            False,
        ),
        ("Beta", "B-1", "2024-spring", "Zacco_platypus", "Cyprinidae", "Cypriniformes", 2, True),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "basin",
            "site",
            "campaign",
            "taxon",
            "family",
            "order",
            "positive_replicates",
            "detected",
        ],
    )


def check_files(fig, tmp_path):
    png = tmp_path / "figs" / "plot.png"
    svg = tmp_path / "figs" / "plot.svg"
    plots.write_figure(fig, png)
    plots.write_figure(fig, svg)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    assert b"<svg" in svg.read_bytes()[:2000]
    assert sorted(p.name for p in png.parent.iterdir()) == ["plot.png", "plot.svg"]


def test_richness_figure_one_panel_per_basin_one_line_per_site(tmp_path):
    fig = plots.richness_figure(site_campaign(), CAMPAIGNS)
    assert isinstance(fig.canvas, FigureCanvasAgg)
    visible = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in visible] == ["Alpha", "Beta"]
    alpha, beta = visible
    assert len(alpha.get_lines()) == 3
    assert len(beta.get_lines()) == 2
    assert sorted(t.get_text() for t in alpha.get_legend().get_texts()) == [
        "A-down",
        "A-mine",
        "A-up",
    ]
    assert alpha.get_xlabel() == "Campaign"
    assert alpha.get_ylabel() == "Species richness (number of species)"
    assert [t.get_text() for t in alpha.get_xticklabels()] == CAMPAIGNS
    mine = next(line for line in alpha.get_lines() if line.get_label() == "A-mine")
    assert mine.get_ydata().tolist() == [0, 1, 3]
    down = next(line for line in alpha.get_lines() if line.get_label() == "A-down")
    # not sampled in 2024-autumn: a gap
    assert np.isnan(down.get_ydata()[1])
    assert fig.get_figwidth() <= 8.27
    check_files(fig, tmp_path)


def test_richness_figure_other_metric():
    fig = plots.richness_figure(site_campaign(), CAMPAIGNS, metric="n_families")
    assert fig.axes[0].get_ylabel() == "Number of families"
    with pytest.raises(InputError):
        plots.richness_figure(site_campaign(), CAMPAIGNS, metric="reads")


def test_heatmap_cells_and_annotations(tmp_path):
    matrix = plots.heatmap_matrix(site_detections(), CAMPAIGNS, "Alpha")
    # order Perciformes before Salmoniformes; undetected Zacco not a row; per site
    assert matrix.index.tolist() == ["Cottus_pollux", "Salvelinus_leucomaenis"]
    assert matrix.columns.tolist() == [(c, s) for c in CAMPAIGNS for s in ("A-mine", "A-up")]
    assert matrix.to_numpy().tolist() == [[0, 0, 0, 1, 0, 0], [1, 2, 0, 0, 0, 2]]

    # with the sheets: sites upstream to downstream as there, only where sampled, and the
    # colour scale fixed to the most replicates a site had
    samples = pd.DataFrame(
        [
            (f"{site}_{c}_{r}", "Alpha", site, c, r, "sample")
            for c in CAMPAIGNS
            for site in ("A-up", "A-mine", "A-down")
            for r in (1, 2, 3)
            if not (site == "A-down" and c == "2024-autumn")
        ],
        columns=["sample", "basin", "site", "campaign", "replicate", "type"],
    )
    fig = plots.heatmap_figure(site_detections(), CAMPAIGNS, "Alpha", samples)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Taxon"
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "A-up",
        "A-mine",
        "A-down",
        "A-up",
        "A-mine",
        "A-up",
        "A-mine",
        "A-down",
    ]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Cottus pollux",
        "Salvelinus leucomaenis",
    ]
    assert ax.images[0].get_array().tolist() == [
        [0, 0, 0, 1, 0, 0, 0, 0],
        [2, 1, 0, 0, 0, 2, 0, 0],
    ]
    assert ax.images[0].get_clim() == (0, 3)
    assert sorted(t.get_text() for t in ax.texts) == ["1", "1", "2", "2"]
    colorbar_ax = fig.axes[1]
    assert colorbar_ax.get_ylabel() == "Positive field replicates (of up to 3)"
    check_files(fig, tmp_path)


def test_heatmap_of_a_basin_without_detections():
    fig = plots.heatmap_figure(site_detections(), CAMPAIGNS, "Gamma")
    ax = fig.axes[0]
    assert not ax.images
    assert [t.get_text() for t in ax.texts] == ["no detections"]


def read_tracking() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sample": ["S1", "S2", "blank"],
            "campaign": ["2024-autumn", "2024-spring", "2024-spring"],
            "raw_pairs": [1000, 2000, 100],
            "merged": [900, 1800, 90],
            "primer_trimmed": [850, 1700, 50],
            "length_ok": [840, 1690, 40],
            # reads over the error limit count in ASVs: in_asvs may pass quality_ok
            "quality_ok": [800, 1400, 30],
            "in_asvs": [700, 1500, 20],
            "after_controls": [690, 1480, None],
        }
    )


def test_read_tracking_stacked_bars(tmp_path):
    fig = plots.read_tracking_figure(read_tracking(), CAMPAIGNS)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "% of raw read pairs"
    assert ax.get_ylabel() == "Sample"
    # samples grouped by campaign in the given order
    assert [t.get_text() for t in ax.get_yticklabels()] == ["S2", "blank", "S1"]
    bars = ax.containers
    assert len(bars) == 6  # kept + 5 losses (quality_ok loses no read for the counts)
    assert [b.get_label() for b in bars][:2] == [
        "kept after blank correction",
        "lost: blank correction",
    ]
    widths = np.array([[patch.get_width() for patch in b] for b in bars])
    # every bar adds up to 100 % of its raw read pairs; the first segment is what was kept
    assert widths.sum(axis=0) == pytest.approx([100, 100, 100])
    assert widths[0] == pytest.approx([74.0, 20.0, 69.0])
    # the raw read pairs at the end of each bar
    assert [t.get_text() for t in ax.texts] == ["2,000", "100", "1,000"]
    check_files(fig, tmp_path)


def test_read_tracking_of_200_samples_in_two_panels():
    rows = read_tracking().iloc[[0]].copy()
    many = pd.concat([rows.assign(sample=f"S{i:03d}") for i in range(200)], ignore_index=True)
    fig = plots.read_tracking_figure(many, CAMPAIGNS)
    panels = [ax for ax in fig.axes if ax.get_yticklabels()]
    assert len(panels) == 2
    assert [len(ax.get_yticklabels()) for ax in panels] == [100, 100]
    assert min(t.get_fontsize() for t in panels[0].get_yticklabels()) >= 6
    assert fig.get_figwidth() <= 8.27


def test_read_tracking_needs_two_steps():
    with pytest.raises(InputError, match="at least 2"):
        plots.read_tracking_figure(pd.DataFrame({"sample": ["S1"], "raw_pairs": [10]}))


def test_write_figure_rejects_other_formats(tmp_path):
    fig = plots.richness_figure(site_campaign(), CAMPAIGNS)
    with pytest.raises(InputError, match=r"\.png or \.svg"):
        plots.write_figure(fig, tmp_path / "plot.pdf")
    assert not list(tmp_path.iterdir())


def test_japanese_names_have_every_glyph(tmp_path, recwarn):
    """Basins, sites and fish named in Japanese (as the sheets allow): drawn with the
    bundled IPAexGothic, no 'Glyph ... missing' warning from any figure."""
    import warnings

    from riverfish import statplots

    campaigns = ["2025-spring", "2025-autumn"]
    sites = pd.DataFrame(
        {
            "basin": ["宮田川"] * 4,
            "site": ["日立鉱山下", "日立鉱山下", "上流対照", "上流対照"],
            "campaign": campaigns * 2,
            "n_orders": [1, 2, 2, 2],
            "n_families": [1, 2, 3, 3],
            "n_species": [2, 5, 4, 4],
        }
    )
    dets = pd.DataFrame(
        {
            "basin": ["宮田川"] * 2,
            "site": ["日立鉱山下", "上流対照"],
            "campaign": campaigns,
            "taxon": ["アユ属", "イワナ"],
            "order": ["キュウリウオ目", "サケ目"],
            "family": ["アユ科", "サケ科"],
            "positive_replicates": [1, 2],
            "detected": [True, True],
        }
    )
    tracking = pd.DataFrame(
        {
            "sample": ["日立_1", "上流_1"],
            "campaign": campaigns,
            "raw_pairs": [100, 90],
            "merged": [90, 80],
        }
    )
    design = pd.DataFrame(
        {
            "basin": ["宮田川"],
            "campaign": ["2025-spring"],
            "taxon": ["イワナ"],
            "detection_per_sample": [0.8],
            "lower": [0.5],
            "upper": [0.95],
            "detection_model": ["own"],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        figures = [
            plots.richness_figure(sites, campaigns),
            plots.heatmap_figure(dets, campaigns, "宮田川"),
            plots.read_tracking_figure(tracking, campaigns),
            statplots.detection_figure(design, campaigns, "宮田川"),
        ]
        for k, fig in enumerate(figures):
            plots.write_figure(fig, tmp_path / f"ja_{k}.png")
    missing = [str(w.message) for w in recwarn if "missing from" in str(w.message)]
    assert missing == []
    assert "IPAexGothic" in plots.FONT_FAMILY


def test_richness_figure_marks_the_reference_and_impacted_sites():
    samples = pd.DataFrame(
        [
            ("s1", "Alpha", "A-up", "2024-spring", 1, "sample", "reference"),
            ("s2", "Alpha", "A-mine", "2024-spring", 1, "sample", "impacted"),
            ("s3", "Alpha", "A-down", "2024-spring", 1, "sample", ""),
            ("s4", "Beta", "B-2", "2024-spring", 1, "sample", ""),
            ("s5", "Beta", "B-1", "2024-spring", 1, "sample", ""),
        ],
        columns=["sample", "basin", "site", "campaign", "replicate", "type", "site_role"],
    )
    fig = plots.richness_figure(site_campaign(), CAMPAIGNS, samples=samples)
    alpha, beta = [ax for ax in fig.axes if ax.axison]
    # sheet order, roles in the legend, the reference dashed
    assert [t.get_text() for t in alpha.get_legend().get_texts()] == [
        "A-up (reference)",
        "A-mine (impacted)",
        "A-down",
    ]
    ref = next(line for line in alpha.get_lines() if line.get_label() == "A-up (reference)")
    assert ref.get_linestyle() == "--"
    assert [t.get_text() for t in beta.get_legend().get_texts()] == ["B-2", "B-1"]
