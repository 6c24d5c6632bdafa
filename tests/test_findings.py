"""The report's start page states the findings: each basin's sentence with the exact
tallies, the impacted sites' verdicts, the indicator taxa and the warnings, in English or
Japanese; checked on small tables and in headless Chromium on the example's report."""

from __future__ import annotations

import html
import re
import subprocess

import pytest
from browser import boxes_instead_of_glyphs, chromium, japanese_runs, needs_chromium, page_style
from openpyxl import load_workbook

from conftest import DEV, ROOT, dev_sheets, example_config, run_workflow, snakemake_cmd
from riverfish import findings
from riverfish.errors import InputError

ARTEFACTS = ROOT / "tests" / "artefacts"

WHOLE = {
    "basin": "Hayase",
    "n_orders": "6",
    "n_families": "10",
    "n_species": "13",
    "n_campaigns": "2",
}
PER = [
    {
        "basin": "Hayase",
        "campaign": "2025-spring",
        "n_orders": "5",
        "n_families": "9",
        "n_species": "11",
    },
    {
        "basin": "Hayase",
        "campaign": "2025-autumn",
        "n_orders": "6",
        "n_families": "10",
        "n_species": "13",
    },
]
VERDICT = {
    "basin": "Hayase",
    "site": "HY-mine",
    "reference_site": "HY-up",
    "n_campaigns": "2",
    "first_campaign": "2025-spring",
    "last_campaign": "2025-autumn",
    "relative_first": "0.5",
    "relative_last": "1.25",
    "relative_slope": "0.75",
    "relative_slope_lower": "0.5",
    "relative_slope_upper": "1.0",
    "per_sample_first": "0.5",
    "per_sample_last": "1.5",
    "per_sample_slope": "1.0",
    "per_sample_slope_lower": "0.25",
    "per_sample_slope_upper": "1.75",
    "verdict": "recovering",
    "note": "",
}


def test_basin_sentence_in_both_languages():
    assert findings.basin_sentence("Hayase", WHOLE, PER) == (
        "In the Hayase basin, fish eDNA identified **6 orders, 10 families and 13 species** "
        "over 2 campaigns (2025-spring: 5 orders, 9 families, 11 species; 2025-autumn: "
        "6 orders, 10 families, 13 species)."
    )
    assert findings.basin_sentence("宮田川", {**WHOLE, "basin": "宮田川"}, PER, "ja") == (
        "宮田川水系では、2回の調査で魚類 **6目10科13種** の環境DNAが検出されました"
        "（2025-spring: 5目9科11種、2025-autumn: 6目10科13種）。"
    )
    with pytest.raises(InputError, match="report.language"):
        findings.basin_sentence("Hayase", WHOLE, PER, "fr")


def test_verdict_sentence_has_the_numbers_and_the_interval():
    assert findings.verdict_sentence(VERDICT) == (
        "**HY-mine** (impacted) against the reference site HY-up: **recovering**. Species "
        "per water sample relative to the reference went from 0.50 (2025-spring) to 1.50 "
        "(2025-autumn), +1.00 per campaign (95 % interval +0.25 to +1.75); the site's "
        "richness relative to the reference 0.50 → 1.25."
    )
    ja = findings.verdict_sentence(VERDICT, "ja")
    assert "**回復傾向**" in ja and "95 %区間 +0.25〜+1.75" in ja
    few = {
        **VERDICT,
        "verdict": "not enough campaigns",
        "relative_slope": "",
        "n_campaigns": "1",
        "note": "1 campaign(s) ...; the verdict needs 2",
    }
    assert findings.verdict_sentence(few).endswith(
        "**not enough campaigns** (1 campaign(s) ...; the verdict needs 2)."
    )
    assert "調査回数不足" in findings.verdict_sentence(few, "ja")


def test_indicator_lines_use_the_readers_names():
    rows = [
        {
            "basin": "B",
            "campaign": "c1",
            "group": "redlisted",
            "taxa": "Anguilla_japonica (EN), Oryzias_latipes (VU)",
        },
        {"basin": "B", "campaign": "c2", "group": "redlisted", "taxa": "Anguilla_japonica (EN)"},
        {
            "basin": "B",
            "campaign": "c1",
            "group": "alien",
            "taxa": "Micropterus_salmoides (alien_foreign)",
        },
        {"basin": "B", "campaign": "c1", "group": "not_in_traits", "taxa": "Rhinogobius_sp"},
    ]
    names = {"Anguilla_japonica": "ウナギ", "Micropterus_salmoides": "オオクチバス"}
    assert findings.indicator_lines(rows, names) == [
        "Red List species (Ministry of the Environment): *Anguilla japonica* (ウナギ) [EN], "
        "*Oryzias latipes* [VU]",
        "Alien species: *Micropterus salmoides* (オオクチバス) [from abroad]",
    ]
    assert findings.indicator_lines(rows, names, "ja") == [
        "環境省レッドリスト掲載種：ウナギ [EN]、*Oryzias latipes* [VU]",
        "外来種：オオクチバス [国外外来]",
    ]


def test_findings_page_sections_and_warnings():
    samples = [{"sample": "s1", "basin": "Hayase", "campaign": "2025-spring", "type": "sample"}]
    warning = {
        "campaign": "2025-spring",
        "sample": "s1",
        "message": "s1: 50 % merged",
        "likely_cause": "low quality",
        "setting": "merge.retry_lengths",
    }
    text = findings.findings_rst(
        ["Hayase"],
        [WHOLE],
        PER,
        [VERDICT],
        [],
        {},
        [warning],
        [{"warning": "campaign 2025-spring has no negative control"}],
        samples,
    )
    assert text.startswith("What the fish eDNA says, basin by basin (1 basin(s))")
    assert "\nHayase basin\n~~~~" in text
    assert "- s1: 50 % merged. Likely cause: low quality. Try: merge.retry_lengths." in text
    assert "- campaign 2025-spring has no negative control" in text
    assert "No indicator taxa detected." in text


def _report(work, name="report.html"):
    report = work / name
    cmd = [*snakemake_cmd(), "--snakefile", str(ROOT / "Snakefile"), "--directory", str(work)]
    cmd += ["--configfile", str(work / "config.yaml"), "--report", str(report)]
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    return report


def _start_page(report, raw: bool = False) -> str:
    """The start page as the browser drew it: its text, or (``raw``) its HTML."""
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", report.as_uri()).stdout
    dom = re.sub(r"<style>.*?</style>", "", dom, flags=re.S)  # the embedded glyphs
    start = re.search(
        r'<h1 class="title">(Fish eDNA monitoring of river basins|河川の魚類環境DNA)', dom
    ).start()
    page = dom[start : start + 60000]
    return page if raw else html.unescape(re.sub(r"<[^>]+>", "", page))


def _rows(path):
    return findings.read_rows(path)


@pytest.mark.workflow
@needs_chromium
def test_start_page_states_each_basins_tallies(dev_run):
    report = _report(dev_run.parent)
    text = _start_page(report)
    page = _start_page(report, raw=True)
    # the tallies as an HTML table: each campaign's row, then the basin's total
    for r in _rows(dev_run / "tallies" / "basin_campaign.tsv"):
        cells = [r["campaign"], r["n_orders"], r["n_families"], r["n_species"]]
        assert "<tr>" + "\n".join(f"<td>{c}</td>" for c in cells) + "\n</tr>" in page, cells
    sites = _rows(dev_run / "tallies" / "site_campaign.tsv")
    mine = [r["n_species"] for r in sites if r["site"] == "HY-mine"]
    assert "<tr><td>HY-mine (impacted)</td>\n" + "\n".join(f"<td>{n}</td>" for n in mine) in page
    per = _rows(dev_run / "tallies" / "basin_campaign.tsv")
    for whole in _rows(dev_run / "tallies" / "basin.tsv"):
        b = whole["basin"]
        expected = (
            f"In the {b} basin, fish eDNA identified {whole['n_orders']} orders, "
            f"{whole['n_families']} families and {whole['n_species']} species over "
            f"{whole['n_campaigns']} campaigns ("
            + "; ".join(
                f"{r['campaign']}: {r['n_orders']} orders, {r['n_families']} families, "
                f"{r['n_species']} species"
                for r in per
                if r["basin"] == b
            )
            + ")."
        )
        assert " ".join(expected.split()) in " ".join(text.split()), expected
    # the verdicts with their numbers, and the findings before the methods
    for v in _rows(dev_run / "stats" / "recovery_verdicts.tsv"):
        site, ref = v["site"], v["reference_site"]
        assert f"{site} (impacted) against the reference site {ref}: {v['verdict']}" in text
    assert text.index("Kanose basin") < text.index("Each sample's read pairs were")
    assert (
        "Red List species (Ministry of the Environment): Abbottina rivularis (ツチフキ) [EN]"
        in " ".join(text.split())
    )
    # the page opens at its top (Snakemake's start page centres its content, which cut
    # off the top of a long page) and its Japanese names are drawn, not boxes
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", report.as_uri()).stdout
    assert "div.h-screen.overflow-auto.items-center{align-items:flex-start}" in dom
    names = japanese_runs(page)
    assert "(ツチフキ) [EN]," in names and len(names) > 10
    assert boxes_instead_of_glyphs(names, page_style(dom), dev_run.parent / "glyphs") == []
    ARTEFACTS.mkdir(exist_ok=True)
    shot = ARTEFACTS / "report_start_example.png"
    chromium(
        "--window-size=1300,1400",
        "--virtual-time-budget=10000",
        f"--screenshot={shot}",
        (dev_run.parent / "report.html").as_uri(),
    )
    assert shot.stat().st_size > 10_000


@pytest.mark.workflow
@needs_chromium
def test_japanese_names_and_report_in_japanese(tmp_path):
    """Basins and sites named in Japanese, report.language ja: the Japanese sentence on the
    start page, and the figures drawn without a missing glyph."""
    if not DEV.is_dir():
        pytest.skip("the shared data set is not there")
    names = {
        "Hayase": "早瀬川",
        "HY-up": "早瀬上流",
        "HY-mine": "早瀬鉱山下",
        "HY-down": "早瀬下流",
    }

    def edit(row):
        row["basin"] = names.get(row["basin"], row["basin"])
        row["site"] = names.get(row["site"], row["site"])
        if row["site"] == "早瀬鉱山下":
            row["site_role"] = "impacted"
        return row

    campaigns = dev_sheets(tmp_path / "sheets", keep=lambda r: r["basin"] == "Hayase", edit=edit)
    config = example_config(campaigns)
    config["report"] = {"language": "ja", "workbook_cells": "replicates"}
    # downstream first, to see the setting followed
    config["site_order"] = {"早瀬川": ["早瀬下流", "早瀬鉱山下", "早瀬上流"]}
    run_workflow(tmp_path, config)
    log = (tmp_path / "results" / "logs" / "tallies.log").read_text()
    log += (tmp_path / "results" / "logs" / "stats.log").read_text()
    assert "missing from" not in log  # matplotlib's missing-glyph warning
    report = _report(tmp_path)
    text = " ".join(_start_page(report).split())
    page = _start_page(report, raw=True)
    assert '<h1 class="title">河川の魚類環境DNAモニタリング（MiFish 12S）</h1>' in page
    assert '<th class="head">調査回</th>' in page and "<td>早瀬鉱山下 (影響地点)</td>" in page
    whole = _rows(tmp_path / "results" / "tallies" / "basin.tsv")[0]
    assert whole["basin"] == "早瀬川"
    assert (
        f"早瀬川水系では、2回の調査で魚類 {whole['n_orders']}目{whole['n_families']}科"
        f"{whole['n_species']}種 の環境DNAが検出されました" in text
    )
    assert "早瀬鉱山下（影響地点）と対照地点 早瀬上流 の比較: 回復傾向" in text
    assert "環境省レッドリスト掲載種：ツチフキ [EN]" in text
    res = tmp_path / "results"
    # the workbook: Japanese headers, sites as site_order has them, replicate counts
    book = load_workbook(res / "tables" / "species_tables.xlsx")
    assert book.sheetnames == ["概要", "早瀬川", "自然の状態（TNFD）", "方法"]
    assert [c.value for c in book["概要"][2]] == ["水系", "調査回", "目数", "科数", "種数"]
    sheet = book["早瀬川"]
    header = [c.value for c in sheet[3]]
    assert header[:6] == ["No.", "目", "科", "学名", "和名", "階級"]
    assert header[6:9] == ["早瀬下流", "早瀬鉱山下（影響地点）", "早瀬上流（対照地点）"]
    dets = [r for r in _rows(res / "tables" / "site_detections.tsv") if r["detected"] == "True"]
    body = list(sheet.iter_rows(min_row=4, max_row=3 + len({r["taxon"] for r in dets})))
    names = [str(r[3].value) for r in body]
    assert all("_" not in n for n in names)
    # each column's campaign (the campaign's cell spans its sites) and site
    columns, campaign = [], None
    for c, site in zip([c.value for c in sheet[2]][6:], header[6:], strict=True):
        campaign = c or campaign
        columns.append((campaign, site.split("（")[0]))
    expected = {
        (findings.scientific(d["taxon"]).replace("*", ""), (d["campaign"], d["site"])): int(
            d["positive_replicates"]
        )
        for d in dets
    }
    shown = {
        (name, col): row[6 + i].value
        for name, row in zip(names, body, strict=True)
        for i, col in enumerate(columns)
        if row[6 + i].value is not None
    }
    assert shown == expected
    species = chromium("--dump-dom", (res / "tables" / "species" / "早瀬川.html").as_uri()).stdout
    assert re.findall(r"<th>([^<]+)</th>", species)[:3] == ["早瀬下流", "早瀬鉱山下", "早瀬上流"]
    # every Japanese text of the pages a person opens is drawn
    trends = chromium("--dump-dom", (res / "report" / "trends.html").as_uri()).stdout
    for shown_page in (species, trends):
        runs = japanese_runs(shown_page)
        assert runs and boxes_instead_of_glyphs(runs, page_style(shown_page), tmp_path / "g") == []
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", report.as_uri()).stdout
    assert boxes_instead_of_glyphs(japanese_runs(page), page_style(dom), tmp_path / "g") == []
    ARTEFACTS.mkdir(exist_ok=True)
    shot = ARTEFACTS / "report_start_ja.png"
    chromium(
        "--window-size=1300,1400",
        "--virtual-time-budget=10000",
        f"--screenshot={shot}",
        (tmp_path / "report.html").as_uri(),
    )
    assert shot.stat().st_size > 10_000


def _cells(page: str) -> list[list[str]]:
    """The rows of the tables of a page as Chromium drew it: the cell texts."""
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    out = []
    for row in rows:
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        out.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return out


@pytest.mark.workflow
@needs_chromium
def test_report_pages_show_tallies_trends_and_warnings(dev_run):
    """The tallies, trends and warnings pages of the report, opened in Chromium, hold the
    TSVs' values (sites in the sheets' order), and the report lists them as items."""
    pages = dev_run / "report"
    tallies = _cells(chromium("--dump-dom", (pages / "tallies.html").as_uri()).stdout)
    assert tallies[0] == ["Basin", "Campaign", "Orders", "Families", "Species"]
    per = _rows(dev_run / "tallies" / "basin_campaign.tsv")
    assert tallies[1 : 1 + len(per)] == [
        [r["basin"], r["campaign"], r["n_orders"], r["n_families"], r["n_species"]] for r in per
    ]
    # per site: HY-up (reference) before HY-mine before HY-down, as the sheets list them
    site_rows = [r for r in tallies if len(r) == 6 and r[0] == "Hayase"]
    assert [r[1] for r in site_rows] == ["HY-up"] * 2 + ["HY-mine"] * 2 + ["HY-down"] * 2
    trends = chromium("--dump-dom", (pages / "trends.html").as_uri()).stdout
    rows = _cells(trends)
    for v in _rows(dev_run / "stats" / "recovery_verdicts.tsv"):
        slope = float(v["per_sample_slope"])
        lo, hi = float(v["per_sample_slope_lower"]), float(v["per_sample_slope_upper"])
        expected = f"{slope:.2f} ({lo:.2f}–{hi:.2f})".replace(".00", "")
        shown = [r for r in rows if r[:2] == [v["basin"], v["site"]] and v["verdict"] in r]
        assert shown and expected in shown[0], (expected, shown)
    assert "Salvelinus leucomaenis" in trends and "Salvelinus_leucomaenis" not in trends
    warnings = html.unescape(
        re.sub(r"<[^>]+>", " ", chromium("--dump-dom", (pages / "warnings.html").as_uri()).stdout)
    )
    assert " ".join(warnings.split()).count("None.") == 3  # the example runs clean
    report = (dev_run.parent / "report.html").read_text(encoding="utf-8")
    for name in ("tallies.html", "trends.html", "warnings.html", "Hayase.html"):
        assert f'"name": "{name}"' in report, name
