"""Snakemake adapter: the state-of-nature table (TNFD) and its report page."""

from riverfish import jobenv, nature, pages, tallies, webfont
from riverfish.files import write_text
from riverfish.tables import read_tsv, write_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)
TEXT = {
    "en": (
        "State of nature (TNFD): impacted sites and basins, per campaign",
        "Ecosystem condition: the fish community against the basin's reference site "
        "(richness relative to it and Sørensen similarity, 95 % bootstrap intervals for an "
        "impacted site). Species extinction risk: the Red List taxa detected (Ministry of "
        "the Environment). Changes from the baseline (first) and the previous campaign.",
    ),
    "ja": (
        "自然の状態（TNFD）：影響地点と水系、調査回ごと",
        "生態系の状態：対照地点と比べた魚類群集（対照比の種数とSørensen類似度、影響地点は95%区間付き）。"
        "種の絶滅リスク：検出された環境省レッドリスト掲載種。基準（初回）と前回からの変化。",
    ),
}
LOCATION = {
    "en": {"impacted_site": "impacted site", "basin": "whole basin"},
    "ja": {"impacted_site": "影響地点", "basin": "水系全体"},
}

with jobenv.job_log(sm.log[0]) as log:
    text_cols = {"basin": str, "site": str, "campaign": str, "reference_site": str}
    samples = read_tsv(sm.input.samples, dtype=str)
    table = nature.state_of_nature(
        samples=samples,
        campaigns=list(sm.params.campaigns),
        recovery=read_tsv(sm.input.recovery, dtype=text_cols),
        similarity=read_tsv(sm.input.similarity, dtype=text_cols),
        site_campaign=read_tsv(sm.input.site_campaign, dtype=text_cols),
        basin_campaign=read_tsv(sm.input.basin_campaign, dtype=text_cols),
        site_detections=read_tsv(sm.input.site_detections, dtype=text_cols),
        traits=tallies.read_traits(sm.input.traits),
        survey_design=read_tsv(sm.input.survey_design, dtype=text_cols),
        unassigned=read_tsv(sm.input.unassigned, dtype={"sample": str, "campaign": str}),
    )
    write_tsv(table, sm.output.table)
    language = sm.params.language
    title, note = TEXT[language]
    where = LOCATION[language]
    shown = table.assign(location_type=table["location_type"].map(where))
    sections = [
        (basin, note if i == 0 else "", shown.loc[shown["basin"] == basin])
        for i, basin in enumerate(dict.fromkeys(shown["basin"]))
    ]
    page = pages.page(title, sections or [(title, note, shown)], language)
    write_text(webfont.embed(page), sm.output.page)
    log.write(table.to_string(index=False) + "\n")
