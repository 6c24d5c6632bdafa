"""The report's table pages: readable cells and headers, sites in the sheets' order."""

from __future__ import annotations

import pandas as pd
import pytest

from riverfish import pages


def test_an_estimate_and_its_interval_share_a_cell():
    table = pd.DataFrame(
        {
            "site": ["a", "b", "c"],
            "sorensen": [0.4444, 1.0, None],
            "sorensen_lower": [0.2, 1.0, None],
            "sorensen_upper": [0.61, 1.0, None],
        }
    )
    shown = pages.with_intervals(table)
    assert list(shown.columns) == ["site", "sorensen"]
    assert shown["sorensen"].tolist() == ["0.44 (0.20–0.61)", "1 (1–1)", ""]


def test_readable_headers_names_and_verdicts_per_language():
    table = pd.DataFrame(
        {
            "basin": ["早瀬川"],
            "taxon": ["Rhinogobius_sp"],
            "taxa": ["Salvelinus_leucomaenis, Tridentiger_sp"],
            "group": ["cold_clean_water"],
            "verdict": ["recovering"],
            "odd_column": [1],
        }
    )
    en = pages.readable(table, "en")
    assert list(en.columns) == [
        "Basin",
        "Scientific name",
        "Taxa",
        "Group",
        "Verdict",
        "odd column",
    ]
    assert en.iloc[0].tolist() == [
        "早瀬川",
        "Rhinogobius sp.",
        "Salvelinus leucomaenis, Tridentiger sp.",
        "cold clean water",
        "recovering",
        1,
    ]
    ja = pages.readable(table, "ja")
    assert list(ja.columns)[:5] == ["水系", "学名", "分類群", "グループ", "判定"]
    assert ja.iloc[0]["判定"] == "回復傾向" and ja.iloc[0]["グループ"] == "冷水・清流性"
    with pytest.raises(ValueError, match="language must be one of en, ja"):
        pages.readable(table, "de")


def test_rows_follow_basins_then_the_sheets_site_order_then_campaigns():
    table = pd.DataFrame(
        {
            "basin": ["A", "A", "A", "B", "A"],
            "site": ["down", "up", "up", "b1", "mine"],
            "campaign": ["spring", "autumn", "spring", "spring", "spring"],
        }
    )
    out = pages.in_site_order(table, ["up", "mine", "down", "b1"], ["spring", "autumn"])
    assert list(zip(out["site"], out["campaign"], strict=True)) == [
        ("up", "spring"),
        ("up", "autumn"),
        ("mine", "spring"),
        ("down", "spring"),
        ("b1", "spring"),
    ]


def test_html_cells_have_no_index_nan_or_trailing_decimals():
    table = pd.DataFrame({"n": [1.0, 2.0], "x": [0.12345, None], "note": ["", "ok"]})
    out = pages.html_table(table)
    assert '<th class="blank' not in out and "nan" not in out and "&lt;NA&gt;" not in out
    assert ">1<" in out and ">0.12<" in out and out.count(">–<") == 2 and ">ok<" in out


def test_a_page_says_none_for_an_empty_table_and_escapes_text():
    empty = pd.DataFrame(columns=["warning"])
    text = pages.page("Warnings <all>", [("Blanks", "note & more", empty)], "ja")
    assert "<h1>Warnings &lt;all&gt;</h1>" in text and "<p>note &amp; more</p>" in text
    assert "<p class='none'>なし。</p>" in text and "<html lang='ja'>" in text
