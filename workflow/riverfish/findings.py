"""The findings of a monitoring programme in words: the report's start page.

For each basin: the sentence a survey report states ("In the Hayase basin, fish eDNA
identified 6 orders, 10 families and 13 species over 2 campaigns (...)"), with the numbers
of ``tallies/basin.tsv`` and ``tallies/basin_campaign.tsv``; each impacted site's verdict
against its reference site with the numbers and interval it rests on
(``stats/recovery_verdicts.tsv``); the indicator taxa found (``trends/indicator_groups.tsv``)
and the run-quality warnings of its samples. Then the control warnings. Written as
reStructuredText for the Snakemake report, in English or Japanese (``report.language``).

Only the standard library: the job runs at the end of the workflow, where a pandas import
would be the largest part of its time.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping

from .errors import InputError

LANGUAGES = ("en", "ja")

VERDICTS_JA = {
    "recovering": "回復傾向",
    "no clear change": "明確な変化なし",
    "declining": "悪化傾向",
    "not enough campaigns": "調査回数不足",
}
GROUPS = ("cold_clean_water", "migratory", "redlisted", "alien")
GROUP_LABELS = {
    "en": {
        "cold_clean_water": "Cold clean-water species",
        "migratory": "Migratory species",
        "redlisted": "Red List species (Ministry of the Environment)",
        "alien": "Alien species",
    },
    "ja": {
        "cold_clean_water": "冷水・清流性の種",
        "migratory": "回遊性の種",
        "redlisted": "環境省レッドリスト掲載種",
        "alien": "外来種",
    },
}
TEXT = {
    "en": {
        "title": "Findings",
        "lead": "What the fish eDNA says, basin by basin ({n} basin(s)); how it was found "
        "follows after.",
        "none_impacted": "No site of this basin is marked impacted (sheet column site_role).",
        "no_indicators": "No indicator taxa detected.",
        "indicators": "Indicator taxa found (all campaigns)",
        "run_quality": "Run quality",
        "run_ok": "Every campaign and field sample of this basin kept the expected share of "
        "its reads at every read step.",
        "controls": "Negative controls",
        "controls_ok": "No warning from the negative controls.",
        "no_basins": "No river-water samples in the sample sheets.",
        "banner": "Warning: {n} result(s) of this run are empty; read them before the "
        "numbers below",
        "try": "What to do",
    },
    "ja": {
        "title": "調査結果",
        "lead": "水系ごとの魚類環境DNA調査の結果（{n}水系）。方法はその後に記します。",
        "none_impacted": "この水系には影響地点（site_role: impacted）が指定されていません。",
        "no_indicators": "指標となる種は検出されませんでした。",
        "indicators": "検出された指標種（全調査回）",
        "run_quality": "シーケンスランの品質",
        "run_ok": "この水系のすべての調査回・試料で、各処理段階のリード保持率は想定範囲内でした。",
        "controls": "ネガティブコントロール",
        "controls_ok": "ネガティブコントロールに関する警告はありません。",
        "no_basins": "河川水の試料がサンプルシートにありません。",
        "banner": "注意：この実行では {n} 件の結果が空です。以下の数値より先に確認してください",
        "try": "対処",
    },
}
#: the brackets of the indicator table in the reader's words
EXTRAS = {
    "en": {"alien_foreign": "from abroad", "alien_domestic": "from elsewhere in Japan"},
    "ja": {
        "alien_foreign": "国外外来",
        "alien_domestic": "国内外来",
        "anadromous": "遡河回遊",
        "catadromous": "降河回遊",
        "amphidromous": "両側回遊",
        "potamodromous": "河川内回遊",
    },
}
_TAXON_CELL = re.compile(r"^(?P<taxon>\S+)(?: \((?P<extra>[^)]*)\))?$")


def read_rows(path: str | os.PathLike) -> list[dict]:
    """A workflow table as a list of dicts (text cells); none when the file is empty."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise InputError(
            f"report.language is {language!r}", hint=f"use one of {', '.join(LANGUAGES)}"
        )


def scientific(taxon: str) -> str:
    """``Salvelinus_leucomaenis`` as *Salvelinus leucomaenis* (rst italics), a genus call
    ``Rhinogobius_sp`` as *Rhinogobius* sp."""
    parts = taxon.split("_")
    if len(parts) == 2 and parts[1] == "sp":
        return f"*{parts[0]}* sp."
    if taxon[:1].isupper() and len(parts) >= 2:
        return "*" + " ".join(parts) + "*"
    return taxon.replace("_", " ")


def taxon_label(taxon: str, names: Mapping[str, str], language: str) -> str:
    """The taxon as a reader of the language knows it: Japanese: the standard Japanese
    name (the scientific name where there is none); English: the scientific name, with the
    Japanese name after it."""
    name = names.get(taxon, "")
    if language == "ja":
        return name or scientific(taxon)
    return f"{scientific(taxon)} ({name})" if name else scientific(taxon)


def basin_sentence(
    basin: str, whole: Mapping, per_campaign: Iterable[Mapping], language: str = "en"
) -> str:
    """The survey report's sentence: orders, families and species over all campaigns and
    per campaign, from the tallies' rows."""
    _check_language(language)
    per = list(per_campaign)
    n = int(whole["n_campaigns"])
    o, f, s = (int(whole[k]) for k in ("n_orders", "n_families", "n_species"))
    if language == "ja":
        parts = "、".join(
            f"{r['campaign']}: {r['n_orders']}目{r['n_families']}科{r['n_species']}種" for r in per
        )
        return (
            f"{basin}水系では、{n}回の調査で魚類 **{o}目{f}科{s}種** の環境DNAが検出されました"
            f"（{parts}）。"
        )
    parts = "; ".join(
        f"{r['campaign']}: {r['n_orders']} orders, {r['n_families']} families, "
        f"{r['n_species']} species"
        for r in per
    )
    campaigns = "campaign" if n == 1 else "campaigns"
    return (
        f"In the {basin} basin, fish eDNA identified **{o} orders, {f} families and {s} "
        f"species** over {n} {campaigns} ({parts})."
    )


def _number(value: str, digits: int = 2, sign: bool = False) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def verdict_sentence(row: Mapping, language: str = "en") -> str:
    """An impacted site's verdict with the relative richness, slope and interval."""
    _check_language(language)
    word = row["verdict"]
    enough = word != "not enough campaigns" and row.get("per_sample_slope", "") != ""
    if language == "ja":
        head = (
            f"**{row['site']}**\\ （影響地点）と対照地点 {row['reference_site']} の比較: "
            f"**{VERDICTS_JA.get(word, word)}**"
        )
        if not enough:
            return f"{head}\\ （変化の判定には{row['n_campaigns']}回では足りません）。"
        return (
            f"{head}。対照地点に対する1試料あたりの種数の比は {_number(row['per_sample_first'])}"
            f"（{row['first_campaign']}）から {_number(row['per_sample_last'])}"
            f"（{row['last_campaign']}）、1調査あたり "
            f"{_number(row['per_sample_slope'], sign=True)}（95 %区間 "
            f"{_number(row['per_sample_slope_lower'], sign=True)}〜"
            f"{_number(row['per_sample_slope_upper'], sign=True)}）。地点の種数の比 "
            f"{_number(row['relative_first'])} → {_number(row['relative_last'])}。"
        )
    head = (
        f"**{row['site']}** (impacted) against the reference site {row['reference_site']}: "
        f"**{word}**"
    )
    if not enough:
        note = row.get("note", "")
        return f"{head}" + (f" ({note})." if note else ".")
    text = (
        f"{head}. Species per water sample relative to the reference went from "
        f"{_number(row['per_sample_first'])} ({row['first_campaign']}) to "
        f"{_number(row['per_sample_last'])} ({row['last_campaign']}), "
        f"{_number(row['per_sample_slope'], sign=True)} per campaign (95 % interval "
        f"{_number(row['per_sample_slope_lower'], sign=True)} to "
        f"{_number(row['per_sample_slope_upper'], sign=True)}); the site's richness "
        f"relative to the reference {_number(row['relative_first'])} → "
        f"{_number(row['relative_last'])}."
    )
    if row.get("note"):
        text += f" {row['note'][0].upper()}{row['note'][1:]}."
    return text


def indicator_lines(
    rows: Iterable[Mapping], names: Mapping[str, str], language: str = "en"
) -> list[str]:
    """One line per indicator group with the taxa of the basin found in it over all
    campaigns (the Red List category, migration or origin in brackets)."""
    _check_language(language)
    found: dict[str, dict[str, str]] = {g: {} for g in GROUPS}
    for row in rows:
        group = row["group"]
        if group not in found or not row.get("taxa"):
            continue
        for cell in row["taxa"].split(", "):
            m = _TAXON_CELL.match(cell.strip())
            if m:
                found[group].setdefault(m["taxon"], m["extra"] or "")
    lines = []
    sep = "、" if language == "ja" else ", "
    for group in GROUPS:
        if not found[group]:
            continue
        words = EXTRAS[language]
        taxa = [
            taxon_label(t, names, language) + (f" [{words.get(extra, extra)}]" if extra else "")
            for t, extra in sorted(found[group].items())
        ]
        colon = "：" if language == "ja" else ": "
        lines.append(f"{GROUP_LABELS[language][group]}{colon}{sep.join(taxa)}")
    return lines


def list_table(header: list[str], rows: list[list], title: str = "") -> list[str]:
    """A reStructuredText list-table (renders as an HTML table in the report)."""
    out = [f".. list-table:: {title}".rstrip(), "   :header-rows: 1", ""]
    for row in [header, *rows]:
        cells = [str(c) if str(c) else "–" for c in row]
        out.append(f"   * - {cells[0]}")
        out += [f"     - {c}" for c in cells[1:]]
    return [*out, ""]


def tally_table(whole: Mapping, per: list[Mapping], language: str = "en") -> list[str]:
    """Orders, families and species per campaign and over all campaigns."""
    if language == "ja":
        header, total = ["調査回", "目", "科", "種"], "全調査回"
    else:
        header, total = ["Campaign", "Orders", "Families", "Species"], "All campaigns"
    keys = ("n_orders", "n_families", "n_species")
    rows = [[r["campaign"], *(r[k] for k in keys)] for r in per]
    rows.append([f"**{total}**", *(f"**{whole[k]}**" for k in keys)])
    return list_table(header, rows)


def site_table(
    site_rows: list[Mapping],
    sites: list[str],
    campaigns: list[str],
    roles: Mapping[str, str],
    language: str = "en",
) -> list[str]:
    """Species per site (in sheet order, the role marked) and campaign."""
    by = {(r["site"], r["campaign"]): r["n_species"] for r in site_rows}
    mark = {"reference": ("reference", "対照地点"), "impacted": ("impacted", "影響地点")}
    k = 1 if language == "ja" else 0
    header = ["地点" if language == "ja" else "Site", *campaigns]
    rows = []
    for site in sites:
        role = roles.get(site, "")
        name = site.replace("*", "\\*").replace("`", "\\`")
        label = f"{name} ({mark[role][k]})" if role in mark else name
        rows.append([label, *(by.get((site, c), "") for c in campaigns)])
    title = "地点別の種数" if language == "ja" else "Species per site"
    return list_table(header, rows, title)


def _warning_text(w: Mapping, language: str) -> str:
    """A run-quality warning as on the Run quality page (its message is English)."""
    cause = "考えられる原因" if language == "ja" else "Likely cause"
    tried = "試す設定" if language == "ja" else "Try"
    text = f"{w['message']}. {cause}: {w['likely_cause']}. {tried}: {w['setting']}."
    return text.replace("*", "\\*").replace("`", "\\`")


def findings_rst(
    basins: Iterable[str],
    basin_rows: list[Mapping],
    basin_campaign_rows: list[Mapping],
    verdict_rows: list[Mapping],
    indicator_rows: list[Mapping],
    names: Mapping[str, str],
    run_warnings: list[Mapping],
    control_warnings: list[Mapping],
    samples: list[Mapping],
    language: str = "en",
    site_rows: list[Mapping] | None = None,
    outcome_warnings: list[Mapping] | None = None,
) -> str:
    """The report's start page: the findings of every basin (with its tallies and the
    species per site as tables), then the control warnings. ``outcome_warnings``
    (results the run left empty) come first, as a banner."""
    _check_language(language)
    t = TEXT[language]
    out = []
    basins = list(basins)
    if not basins:
        out.append(t["no_basins"])
    else:
        # a lead paragraph: it also keeps docutils from turning a lone basin's heading
        # into the page's subtitle
        out += [t["lead"].format(n=len(basins)), ""]
    if outcome_warnings:
        out += [f"**{t['banner'].format(n=len(outcome_warnings))}**", ""]
        out += [f"- **{w['message']}**. {t['try']}: {w['setting']}" for w in outcome_warnings]
        out.append("")
    sample_basin = {r["sample"]: r["basin"] for r in samples}
    campaign_basins: dict[str, set] = {}
    for r in samples:
        if r.get("type", "sample") == "sample":
            campaign_basins.setdefault(r["campaign"], set()).add(r["basin"])
    for basin in basins:
        title = f"{basin}水系" if language == "ja" else f"{basin} basin"
        out += [title, "~" * (2 * len(title)), ""]
        whole = next((r for r in basin_rows if r["basin"] == basin), None)
        if whole is not None:
            per = [r for r in basin_campaign_rows if r["basin"] == basin]
            out += [basin_sentence(basin, whole, per, language), ""]
            out += tally_table(whole, per, language)
        here = [r for r in samples if r["basin"] == basin and r.get("type", "sample") == "sample"]
        sites = [s for s in dict.fromkeys(r.get("site", "") for r in here) if s]
        campaigns = list(dict.fromkeys(r["campaign"] for r in here))
        roles = {r.get("site", ""): r.get("site_role", "") for r in here}
        if sites and site_rows is not None:
            out += site_table(
                [r for r in site_rows if r["basin"] == basin], sites, campaigns, roles, language
            )
        verdicts = [r for r in verdict_rows if r["basin"] == basin]
        if verdicts:
            out += [f"- {verdict_sentence(r, language)}" for r in verdicts] + [""]
        else:
            out += [t["none_impacted"], ""]
        lines = indicator_lines([r for r in indicator_rows if r["basin"] == basin], names, language)
        if lines:
            out += [f"**{t['indicators']}**", ""] + [f"- {line}" for line in lines] + [""]
        else:
            out += [t["no_indicators"], ""]
        warned = [
            w
            for w in run_warnings
            if (w.get("sample") and sample_basin.get(w["sample"]) == basin)
            or (not w.get("sample") and basin in campaign_basins.get(w.get("campaign", ""), ()))
        ]
        out.append(f"**{t['run_quality']}**")
        out.append("")
        if warned:
            out += [f"- {_warning_text(w, language)}" for w in warned]
        else:
            out.append(t["run_ok"])
        out.append("")
    out += [f"**{t['controls']}**", ""]
    texts = [w.get("warning", "") for w in control_warnings if w.get("warning")]
    out += [f"- {w}" for w in texts] if texts else [t["controls_ok"]]
    return "\n".join(out).rstrip() + "\n"
