"""The survey workbook a consultant pastes from (``tables/species_tables.xlsx``).

Sheets: a summary (orders, families and species per basin and campaign, then each basin's
total and its sentence), one species table per basin (taxa under order and family,
scientific names in italics without underscores, sites upstream to downstream under their
campaign, cells as ○, replicate counts or reads), and the methods and parameters the
results were made with. Headers are English or Japanese (``report.language``); every
table has an autofilter, frozen headers and a print setup (A4 landscape, header rows
repeated), and columns are as wide as their text (a Japanese character counts two).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping, Sequence

import pandas as pd

from riverfish.files import temporary_sibling
from riverfish.tallies import CELL_KINDS, SITE_SEPARATOR, SPECIES_TABLE_ROW_COLUMNS

LANGUAGES = ("en", "ja")

TEXT = {
    "en": {
        "summary": "Summary",
        "summary_title": "Fish detected by eDNA: orders, families and species per basin "
        "and campaign",
        "basin": "Basin",
        "campaign": "Campaign",
        "orders": "Orders",
        "families": "Families",
        "species": "Species",
        "all_campaigns": "All campaigns ({n})",
        "basin_title": "{basin} basin: fish detected by eDNA, by campaign and site",
        "no": "No.",
        "order": "Order",
        "family": "Family",
        "taxon": "Scientific name",
        "name": "Japanese name",
        "rank": "Rank",
        "ranks": {},
        "reference": "{site} (reference)",
        "impacted": "{site} (impacted)",
        "species_row": "Species (tallies)",
        "legend": {
            "symbols": "○: detected at the site in the campaign (in at least the field "
            "replicates the detection rule asks for); empty: not detected, which is not "
            "proof of absence.",
            "replicates": "Number: field replicates (water samples) in which the taxon was "
            "detected; empty: not detected, which is not proof of absence.",
            "reads": "Number: reads of the taxon at the site in the campaign (all its "
            "field replicates, after the blank correction); empty: not detected.",
        },
        "order_note": "Sites from upstream to downstream (the order of the sample sheets "
        "or of the setting site_order). The row 'Species (tallies)' counts species as the "
        "tallies do: a genus-level call counts only where no species of its genus is found.",
        "methods": "Methods",
        "methods_title": "Methods and parameters",
        "nature": "State of nature (TNFD)",
        "nature_title": "State of nature (TNFD): ecosystem condition and species extinction "
        "risk per impacted site and basin, per campaign",
        "item": "Item",
        "value": "Value",
        "method_text": "MiFish 12S rRNA amplicons (paired-end Illumina reads): primers "
        "trimmed with cutadapt; pairs merged, filtered by expected errors, denoised to exact "
        "sequence variants (UNOISE3) and chimeras removed with vsearch; variants classified "
        "against the fish reference database down to the rank the hits support; blanks "
        "subtracted; a taxon detected in a field replicate when the detection rule's read "
        "limits are met.",
    },
    "ja": {
        "summary": "概要",
        "summary_title": "環境DNAによる魚類の確認状況：水系・調査回ごとの目数・科数・種数",
        "basin": "水系",
        "campaign": "調査回",
        "orders": "目数",
        "families": "科数",
        "species": "種数",
        "all_campaigns": "全調査回（{n}回）",
        "basin_title": "{basin}水系：環境DNAによる魚類確認種（調査回・地点別）",
        "no": "No.",
        "order": "目",
        "family": "科",
        "taxon": "学名",
        "name": "和名",
        "rank": "階級",
        "ranks": {
            "species": "種",
            "subspecies": "亜種",
            "genus": "属",
            "family": "科",
            "order": "目",
        },
        "reference": "{site}（対照地点）",
        "impacted": "{site}（影響地点）",
        "species_row": "種数（集計）",
        "legend": {
            "symbols": "○：その調査回・地点で検出（検出規則が求める反復数以上）。"
            "空欄：未検出（不在の証明ではない）。",
            "replicates": "数値：対象種が検出された現地反復（採水試料）の数。"
            "空欄：未検出（不在の証明ではない）。",
            "reads": "数値：その調査回・地点の対象種のリード数（全反復の合計、ブランク補正後）。"
            "空欄：未検出。",
        },
        "order_note": "地点は上流から下流の順（サンプルシートまたは設定 site_order の順）。"
        "「種数（集計）」は集計表と同じ数え方（同属の種が確認されない場合のみ属止めを1種と数える）。",
        "methods": "方法",
        "methods_title": "方法とパラメータ",
        "nature": "自然の状態（TNFD）",
        "nature_title": "自然の状態（TNFD）：影響地点・水系ごとの生態系の状態と種の絶滅リスク"
        "（調査回別）",
        "item": "項目",
        "value": "値",
        "method_text": "MiFish 12S rRNA アンプリコン（Illumina ペアエンドリード）：cutadapt で"
        "プライマーを除去し、vsearch でペアの結合、期待エラー数によるフィルタ、"
        "デノイジング（UNOISE3）とキメラ除去を行い、得られた配列（ASV）を魚類参照データベースと"
        "照合して、相同性が支持する階級まで同定した。ブランクのリードを差し引き、"
        "検出規則のリード数を満たす現地反復を検出とした。",
    },
}

TITLE_FONT_SIZE = 13
MAX_WIDTH = 48


def display_width(value: object) -> int:
    """Characters a value takes in a cell, a wide (CJK) character counting two."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def scientific_parts(taxon: str, rank: str) -> list[tuple[str, bool]]:
    """A taxon label as (text, italic) runs: ``Rhinogobius_sp`` -> *Rhinogobius* sp.,
    ``Oncorhynchus_masou_ishikawae`` -> *Oncorhynchus masou ishikawae*; family and order
    names upright."""
    parts = str(taxon).split("_")
    if rank == "genus" or (len(parts) == 2 and parts[1] == "sp"):
        return [(parts[0], True), (" sp.", False)]
    if rank in ("species", "subspecies") or (len(parts) >= 2 and taxon[:1].isupper()):
        return [(" ".join(parts), True)]
    return [(" ".join(parts), False)]


def _site_label(site: str, role: str, text: Mapping) -> str:
    return text[role].format(site=site) if role in ("reference", "impacted") else site


def _fit_columns(
    sheet,
    first_row: int,
    minimum: Mapping[int, int] | None = None,
    last_row: int | None = None,
) -> None:
    """Each column as wide as its widest cell from ``first_row`` to ``last_row`` (capped;
    ``minimum``: column -> narrowest width, else 6)."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=first_row, max_row=last_row):
        for cell in row:
            if cell.value is None or type(cell).__name__ == "MergedCell":
                continue
            widths[cell.column] = max(widths.get(cell.column, 0), display_width(cell.value))
    for col, width in widths.items():
        floor = (minimum or {}).get(col, 6)
        sheet.column_dimensions[get_column_letter(col)].width = max(
            floor, min(width + 2, MAX_WIDTH)
        )


def _print_setup(sheet, title_rows: str, wide: bool = False) -> None:
    """A4 landscape, header rows on every page, one page wide unless the table is wide."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 0 if wide else 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = title_rows
    sheet.print_options.gridLines = True


def _title(sheet, text: str) -> None:
    from openpyxl.styles import Font

    sheet.append([text])
    sheet.cell(1, 1).font = Font(bold=True, size=TITLE_FONT_SIZE)


def _header(sheet, row: int) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", fgColor="DDE6F0")
    for cell in sheet[row]:
        if cell.value is not None:
            cell.font = Font(bold=True)
            cell.fill = fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=False)


def summary_rows(
    basin_campaign: pd.DataFrame, basin: pd.DataFrame, language: str = "en"
) -> list[list]:
    """The summary sheet's rows below its header: each basin's campaigns, then the basin
    over all campaigns."""
    text = TEXT[language]
    rows = []
    for whole in basin.to_dict("records"):
        b = str(whole["basin"])
        for r in basin_campaign.loc[basin_campaign["basin"].astype(str) == b].to_dict("records"):
            rows.append(
                [
                    b,
                    str(r["campaign"]),
                    int(r["n_orders"]),
                    int(r["n_families"]),
                    int(r["n_species"]),
                ]
            )
        rows.append(
            [
                b,
                text["all_campaigns"].format(n=int(whole["n_campaigns"])),
                int(whole["n_orders"]),
                int(whole["n_families"]),
                int(whole["n_species"]),
            ]
        )
    return rows


def _summary_sheet(workbook, basin_campaign, basin, sentences, language) -> None:
    from openpyxl.styles import Font

    text = TEXT[language]
    sheet = workbook.create_sheet(text["summary"])
    _title(sheet, text["summary_title"])
    sheet.append(
        [text["basin"], text["campaign"], text["orders"], text["families"], text["species"]]
    )
    _header(sheet, 2)
    rows = summary_rows(basin_campaign, basin, language)
    totals = {text["all_campaigns"].format(n=int(n)) for n in basin["n_campaigns"]}
    for row in rows:
        sheet.append(row)
        if row[1] in totals:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    last = sheet.max_row
    sheet.auto_filter.ref = f"A2:E{max(last, 2)}"
    sheet.freeze_panes = "A3"
    _fit_columns(sheet, 2)
    sheet.append([])
    for sentence in sentences.values():
        sheet.append([sentence.replace("**", "")])
    _print_setup(sheet, "2:2")


def _species_sheet(
    workbook,
    title: str,
    basin: str,
    table: pd.DataFrame,
    site_species: Mapping[tuple[str, str], int],
    roles: Mapping[tuple[str, str], str],
    language: str,
    cells: str,
) -> None:
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    text = TEXT[language]
    sheet = workbook.create_sheet(title)
    _title(sheet, text["basin_title"].format(basin=basin))
    site_cols = [c for c in table.columns if c not in SPECIES_TABLE_ROW_COLUMNS]
    pairs = [c.split(SITE_SEPARATOR, 1) for c in site_cols]
    fixed = [text[k] for k in ("no", "order", "family", "taxon", "name", "rank")]
    n_fixed = len(fixed)
    # row 2: each campaign over its sites; row 3: the headers and the sites
    sheet.append([None] * n_fixed + [c for c, _ in pairs])
    sheet.append(fixed + [_site_label(s, roles.get((basin, s), ""), text) for _, s in pairs])
    start = n_fixed + 1
    for campaign in dict.fromkeys(c for c, _ in pairs):
        span = [i for i, (c, _) in enumerate(pairs) if c == campaign]
        first, last = start + span[0], start + span[-1]
        for col in range(first + 1, last + 1):
            sheet.cell(2, col).value = None
        if last > first:
            sheet.merge_cells(start_row=2, start_column=first, end_row=2, end_column=last)
    _header(sheet, 2)
    _header(sheet, 3)
    centre = Alignment(horizontal="center")
    for i, row in enumerate(table.to_dict("records"), start=1):
        rank = str(row["rank"])
        values = [
            i,
            row["order"],
            row["family"],
            None,
            row["common_name"] or None,
            text["ranks"].get(rank, rank),
        ]
        for col in site_cols:
            v = row[col]
            values.append(None if v is None or v == "" or pd.isna(v) else v)
        sheet.append(values)
        r = sheet.max_row
        runs = scientific_parts(row["taxon"], rank)
        if len(runs) == 1:
            sheet.cell(r, 4).value = runs[0][0]
            sheet.cell(r, 4).font = Font(italic=runs[0][1])
        else:
            sheet.cell(r, 4).value = CellRichText(
                *[TextBlock(InlineFont(i=italic), part) for part, italic in runs]
            )
        for c in range(start, start + len(site_cols)):
            sheet.cell(r, c).alignment = centre
            if cells == "reads":
                sheet.cell(r, c).number_format = "#,##0"
    last_data = sheet.max_row
    counts = [site_species.get((basin, s, c), 0) for c, s in pairs]
    sheet.append([None, None, None, text["species_row"], None, None, *counts])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        if cell.column >= start:
            cell.alignment = centre
    sheet.append([])
    sheet.append([text["legend"][cells]])
    sheet.append([text["order_note"]])
    last_col = get_column_letter(max(n_fixed + len(site_cols), n_fixed))
    sheet.auto_filter.ref = f"A3:{last_col}{max(last_data, 3)}"
    sheet.freeze_panes = sheet.cell(4, 5)  # headers and the names stay in view
    # widths from the header rows and the table (the notes below may run on)
    _fit_columns(sheet, 3, {1: 4}, last_row=last_data + 1)
    _print_setup(sheet, "2:3", wide=len(site_cols) > 16)


def _methods_sheet(workbook, methods: Sequence[tuple[str, str]], language: str) -> None:
    from openpyxl.styles import Alignment

    text = TEXT[language]
    sheet = workbook.create_sheet(text["methods"])
    _title(sheet, text["methods_title"])
    sheet.append([text["method_text"]])
    sheet.append([text["item"], text["value"]])
    _header(sheet, 3)
    for item, value in methods:
        sheet.append([item, value])
    sheet.auto_filter.ref = f"A3:B{max(sheet.max_row, 3)}"
    sheet.freeze_panes = "A4"
    _fit_columns(sheet, 3)
    sheet.column_dimensions["B"].width = MAX_WIDTH + 12
    for row in sheet.iter_rows(min_row=4, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    _print_setup(sheet, "3:3")


def _table_sheet(workbook, title: str, heading: str, table: pd.DataFrame) -> None:
    """A plain table sheet (readable headers and cells, see riverfish.pages)."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    _title(sheet, heading)
    sheet.append(list(table.columns))
    _header(sheet, 2)
    for row in table.itertuples(index=False, name=None):
        sheet.append([None if v is None or v == "" or pd.isna(v) else v for v in row])
    last_col = get_column_letter(max(len(table.columns), 1))
    sheet.auto_filter.ref = f"A2:{last_col}{max(sheet.max_row, 2)}"
    sheet.freeze_panes = "A3"
    _fit_columns(sheet, 2)
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _print_setup(sheet, "2:2", wide=len(table.columns) > 12)


def flatten_config(config: Mapping, prefix: str = "") -> list[tuple[str, str]]:
    """A configuration as (dotted key, value) rows, lists joined with commas."""
    rows: list[tuple[str, str]] = []
    for key in sorted(config):
        value = config[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            nested = flatten_config(value, name + ".")
            rows.extend(nested or [(name, "")])
        elif isinstance(value, (list, tuple)):
            rows.append((name, ", ".join(str(v) for v in value)))
        else:
            rows.append((name, str(value)))
    return rows


def sheet_title(name: str, used: set[str]) -> str:
    """An Excel sheet name for ``name``: no []:*?/\\ characters, at most 31, unique."""
    import re

    title = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'") or "sheet"
    title = title[:31]
    candidate, n = title, 2
    while candidate.lower() in used:
        suffix = f"~{n}"
        candidate = title[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def write_workbook(
    path: str | os.PathLike,
    *,
    basin_campaign: pd.DataFrame,
    basin: pd.DataFrame,
    species: Mapping[str, pd.DataFrame],
    site_campaign: pd.DataFrame,
    roles: Mapping[tuple[str, str], str],
    methods: Sequence[tuple[str, str]],
    sentences: Mapping[str, str],
    language: str = "en",
    cells: str = "symbols",
    state_of_nature: pd.DataFrame | None = None,
) -> None:
    """Write the survey workbook (see the module's text); ``species`` holds each basin's
    table from :func:`riverfish.tallies.species_table` with the same ``cells``. Written to
    a temporary file in the same folder and renamed."""
    from openpyxl import Workbook

    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if cells not in CELL_KINDS or cells == "text":
        raise ValueError(f"cells must be symbols, replicates or reads, not {cells!r}")
    text = TEXT[language]
    workbook = Workbook()
    workbook.remove(workbook.active)
    _summary_sheet(workbook, basin_campaign, basin, sentences, language)
    used = {text["summary"].lower(), text["methods"].lower(), text["nature"].lower()}
    site_species = {
        (str(r["basin"]), str(r["site"]), str(r["campaign"])): int(r["n_species"])
        for r in site_campaign.to_dict("records")
    }
    for name, table in species.items():
        title = sheet_title(name, used)
        _species_sheet(workbook, title, name, table, site_species, roles, language, cells)
    if state_of_nature is not None:
        from riverfish.pages import readable

        _table_sheet(
            workbook,
            text["nature"],
            text["nature_title"],
            readable(state_of_nature, language),
        )
    _methods_sheet(workbook, methods, language)
    target, tmp = temporary_sibling(path)
    try:
        workbook.save(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
