"""Tables as pages a person reads: the report's tallies, trends and warnings pages.

The pages show the workflow's TSVs as they are, only made readable: no index column,
decimals rounded, whole numbers without decimals, a dash for a missing value, an estimate
and its interval in one cell, scientific names without underscores, sites in the sheets'
order (upstream to downstream), headers in English or Japanese.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from html import escape

import pandas as pd

LANGUAGES = ("en", "ja")

# column -> (English, Japanese) header
LABELS = {
    "basin": ("Basin", "水系"),
    "site": ("Site", "地点"),
    "campaign": ("Campaign", "調査回"),
    "reference_site": ("Reference site", "対照地点"),
    "n_orders": ("Orders", "目数"),
    "n_families": ("Families", "科数"),
    "n_species": ("Species", "種数"),
    "n_campaigns": ("Campaigns", "調査回数"),
    "change_from_previous": ("Change from previous", "前回からの増減"),
    "change_from_first": ("Change from first", "初回からの増減"),
    "n_taxa": ("Number of taxa", "分類群数"),
    "n_taxa_reference": ("Taxa at reference", "対照地点の分類群数"),
    "n_shared": ("Shared with reference", "対照地点と共通"),
    "jaccard": ("Jaccard", "Jaccard"),
    "sorensen": ("Sørensen (interval)", "Sørensen（区間）"),
    "note": ("Note", "注記"),
    "group": ("Group", "グループ"),
    "taxa": ("Taxa", "分類群"),
    "taxon": ("Scientific name", "学名"),
    "common_name": ("Japanese name", "和名"),
    "rank": ("Rank", "階級"),
    "first_campaign": ("First campaign", "初回"),
    "last_campaign": ("Last campaign", "最終回"),
    "n_campaigns_detected": ("Campaigns detected", "検出回数"),
    "sites": ("Sites detected", "検出地点"),
    "n_samples": ("Water samples", "採水試料数"),
    "n_species_reference": ("Species at reference", "対照地点の種数"),
    "relative_richness": ("Species relative to reference (interval)", "対照比の種数（区間）"),
    "relative_first": ("Relative richness, first", "対照比（初回）"),
    "relative_last": ("Relative richness, last", "対照比（最終回）"),
    "per_sample_slope": (
        "Change per campaign of species per sample vs reference (95 % interval)",
        "試料あたり種数の対照比の変化／回（95%区間）",
    ),
    "verdict": ("Verdict", "判定"),
    "sample": ("Sample", "試料"),
    "check": ("Check", "確認項目"),
    "observed": ("Observed", "実測"),
    "expected": ("Expected", "基準"),
    "message": ("Message", "内容"),
    "likely_cause": ("Likely cause", "考えられる原因"),
    "setting": ("Setting to try", "試す設定"),
    "warning": ("Warning", "警告"),
    "source": ("Source", "種別"),
    "location_type": ("Location", "対象"),
    "baseline_campaign": ("Baseline campaign", "基準の調査回"),
    "relative_richness_change_from_baseline": (
        "Relative richness, change from baseline",
        "対照比の種数：基準からの変化",
    ),
    "relative_richness_change_from_previous": (
        "Relative richness, change from previous",
        "対照比の種数：前回からの変化",
    ),
    "sorensen_change_from_baseline": ("Sørensen, change from baseline", "Sørensen：基準からの変化"),
    "sorensen_change_from_previous": ("Sørensen, change from previous", "Sørensen：前回からの変化"),
    "n_redlist": ("Red List taxa", "レッドリスト掲載種数"),
    "n_threatened": ("Threatened (CR, EN, VU)", "絶滅危惧種数（CR・EN・VU）"),
    "redlist_taxa": ("Red List taxa detected", "検出されたレッドリスト掲載種"),
    "redlist_caveats": ("Red List caveats", "レッドリストの注意点"),
    "n_cold_clean_water": ("Cold clean-water taxa", "冷水・清流性の種数"),
    "n_migratory": ("Migratory taxa", "回遊性の種数"),
    "n_alien": ("Alien taxa", "外来種数"),
    "alien_taxa": ("Alien taxa detected", "検出された外来種"),
    "limitations": ("Limitations", "限界"),
}

GROUPS = {
    "cold_clean_water": ("cold clean water", "冷水・清流性"),
    "migratory": ("migratory", "回遊性"),
    "redlisted": ("Red List", "レッドリスト"),
    "alien": ("alien", "外来"),
}
VERDICTS_JA = {
    "recovering": "回復傾向",
    "declining": "悪化傾向",
    "no clear change": "明確な変化なし",
    "not enough campaigns": "調査回数不足",
}
NONE_TEXT = ("None.", "なし。")


def _check_language(language: str) -> int:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return LANGUAGES.index(language)


def scientific_name(taxon: object) -> str:
    """``Salvelinus_leucomaenis`` as "Salvelinus leucomaenis", ``Rhinogobius_sp`` as
    "Rhinogobius sp."; also inside a comma-separated list."""
    words = str(taxon).replace("_", " ")
    return ", ".join(w + "." if w.endswith(" sp") else w for w in words.split(", "))


def _number(x: float, digits: int) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.{digits}f}"


def with_intervals(table: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """Each column ``X`` that has ``X_lower`` and ``X_upper`` beside it becomes one text
    column "estimate (lower–upper)"; the bounds are dropped."""
    shown = table.copy()
    for col in list(shown.columns):
        lo, hi = f"{col}_lower", f"{col}_upper"
        if lo not in shown.columns or hi not in shown.columns:
            continue
        cells = []
        for est, a, b in zip(shown[col], shown[lo], shown[hi], strict=True):
            if pd.isna(est):
                cells.append("")
            elif pd.isna(a) or pd.isna(b):
                cells.append(_number(est, digits))
            else:
                cells.append(f"{_number(est, digits)} ({_number(a, digits)}–{_number(b, digits)})")
        shown[col] = cells
        shown = shown.drop(columns=[lo, hi])
    return shown


def in_site_order(
    table: pd.DataFrame, site_order: Sequence[str], campaigns: Sequence[str]
) -> pd.DataFrame:
    """Rows in basin order (first appearance), then sites as ``site_order`` lists them
    (``(basin, site)`` pairs flattened to site names), then campaigns in their order; the
    rows' other order is kept."""
    keys = []
    if "site" in table.columns:
        rank = {s: i for i, s in enumerate(dict.fromkeys(site_order))}
        keys.append(table["site"].map(rank).fillna(len(rank)))
    if "campaign" in table.columns:
        rank_c = {c: i for i, c in enumerate(campaigns)}
        keys.append(table["campaign"].map(rank_c).fillna(len(rank_c)))
    if "basin" in table.columns:
        basins = {b: i for i, b in enumerate(dict.fromkeys(table["basin"]))}
        keys.insert(0, table["basin"].map(basins))
    if not keys:
        return table
    order = pd.DataFrame({f"k{i}": k for i, k in enumerate(keys)}, index=table.index)
    order["position"] = range(len(table))
    return table.loc[order.sort_values(list(order.columns)).index].reset_index(drop=True)


def readable(table: pd.DataFrame, language: str = "en", digits: int = 2) -> pd.DataFrame:
    """A table with readable cells and headers (see the module's text)."""
    i = _check_language(language)
    shown = with_intervals(table, digits)
    for col in ("taxon", "taxa"):
        if col in shown.columns:
            shown[col] = shown[col].fillna("").map(lambda t: scientific_name(t) if t else "")
    if "group" in shown.columns:
        shown["group"] = shown["group"].map(lambda g: GROUPS.get(g, (g, g))[i])
    if "verdict" in shown.columns and language == "ja":
        shown["verdict"] = shown["verdict"].map(lambda v: VERDICTS_JA.get(v, v))
    return shown.rename(
        columns={c: LABELS[c][i] if c in LABELS else c.replace("_", " ") for c in shown.columns}
    )


def html_table(table: pd.DataFrame, digits: int = 2) -> str:
    """A table as HTML: no index column, decimals rounded to ``digits``, whole numbers
    without decimals, missing values as a dash (never ``<NA>`` or ``nan``)."""
    shown = table.copy()
    for col in shown.columns:
        values = shown[col]
        if pd.api.types.is_float_dtype(values):
            whole = values.dropna()
            if len(whole) and (whole % 1 == 0).all():
                shown[col] = values.astype("Int64")
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            shown[col] = values.astype(object).where(values.notna() & (values != ""), None)
    styler = shown.style.hide(axis="index").format(precision=digits, na_rep="–", thousands=",")
    # element ids from the table itself (not random), so that a page is the same each run
    digest = hashlib.md5(shown.to_csv(index=False).encode("utf-8")).hexdigest()[:8]
    return styler.set_uuid(digest).to_html()


def page(
    title: str,
    sections: Sequence[tuple[str, str, pd.DataFrame]],
    language: str = "en",
    digits: int = 2,
) -> str:
    """A whole HTML page: the title, then per section its heading, a note and the table
    (readable, see :func:`readable`), or "None." where the table has no rows."""
    i = _check_language(language)
    out = [
        f"<!DOCTYPE html><html lang='{language}'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>body{{font-family:sans-serif;margin:1em}}"
        "table{border-collapse:collapse;font-size:90%;margin-bottom:1.5em}"
        "td,th{border:1px solid #bbb;padding:.2em .5em;vertical-align:top}"
        "th{background:#eee}td{max-width:40em}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    for heading, note, table in sections:
        out.append(f"<h2>{escape(heading)}</h2>")
        if note:
            out.append(f"<p>{escape(note)}</p>")
        if table.empty:
            out.append(f"<p class='none'>{NONE_TEXT[i]}</p>")
        else:
            out.append(html_table(readable(table, language, digits), digits))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def site_order(samples: pd.DataFrame) -> list[str]:
    """Sites of the river-water samples as the sheets list them (upstream to downstream)."""
    fields = samples.loc[samples["type"] == "sample"]
    return list(dict.fromkeys(fields["site"].astype(str)))


def select(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The columns of ``columns`` that the table has (and the interval bounds beside
    them), in that order."""
    keep = []
    for col in columns:
        for c in (col, f"{col}_lower", f"{col}_upper"):
            if c in table.columns and c not in keep:
                keep.append(c)
    return table.loc[:, keep]


PAGE_TEXT: Mapping[str, Mapping[str, str]] = {
    "en": {
        "tallies": "Tallies: orders, families and species",
        "basin_campaign": "Per basin and campaign",
        "basin": "Per basin, all campaigns",
        "site_campaign": "Per site and campaign",
        "tally_note": "Species counted as the survey reports count them: a genus-level "
        "call counts only where no species of its genus is found.",
        "trends": "Trends across campaigns",
        "verdicts": "Recovery verdicts of the impacted sites",
        "verdict_note": "Recovering or declining only when the whole 95 % interval of the "
        "change per campaign is on one side of zero and the site's richness relative to the "
        "reference moved the same way.",
        "recovery": "Impacted sites against the reference site, per campaign",
        "richness": "Species per site",
        "similarity": "Similarity to the reference site",
        "indicators": "Indicator groups",
        "first_last": "First and last detection of each taxon",
        "warnings": "Warnings: run quality and controls",
        "outcome": "Results left empty",
        "run": "Run quality",
        "run_note": "Read steps that kept less than the configured share of reads, with "
        "the likely cause and the setting to try.",
        "controls": "Blanks and controls",
    },
    "ja": {
        "tallies": "集計：目数・科数・種数",
        "basin_campaign": "水系・調査回ごと",
        "basin": "水系ごと（全調査回）",
        "site_campaign": "地点・調査回ごと",
        "tally_note": "種数は調査報告書と同じ数え方（同属の種が確認されない場合のみ"
        "属止めを1種と数える）。",
        "trends": "調査回を通じた変化",
        "verdicts": "影響地点の回復判定",
        "verdict_note": "1回あたりの変化の95%区間が0の片側にあり、対照比の種数も同じ向きに"
        "変化した場合のみ「回復傾向」「悪化傾向」とする。",
        "recovery": "影響地点と対照地点の比較（調査回ごと）",
        "richness": "地点ごとの種数",
        "similarity": "対照地点との類似度",
        "indicators": "指標グループ",
        "first_last": "分類群ごとの初検出・最終検出",
        "warnings": "警告：シーケンスランの品質と対照",
        "outcome": "空になった結果",
        "run": "ランの品質",
        "run_note": "設定した割合よりリードが残らなかった処理段階と、考えられる原因・試す設定。",
        "controls": "ブランクと対照",
    },
}
