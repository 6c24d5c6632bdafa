"""Snakemake adapter: the report's tallies, trends and warnings pages."""

from riverfish import jobenv, pages, runqc, tallies, webfont
from riverfish.files import write_text
from riverfish.tables import read_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)
language = sm.params.language
text = pages.PAGE_TEXT[language]
campaigns = list(sm.params.campaigns)
# the columns a reader needs of the wider tables (their intervals come along)
VERDICT = [
    "basin", "site", "reference_site", "first_campaign", "last_campaign",
    "relative_first", "relative_last", "per_sample_slope", "verdict", "note",
]  # fmt: skip
RECOVERY = [
    "basin", "site", "reference_site", "campaign", "n_samples", "n_species",
    "n_species_reference", "relative_richness", "sorensen", "note",
]  # fmt: skip
SHOWN_ELSEWHERE = ("rank", "genus", "family", "order", "campaigns_detected")
FIRST_LAST = [c for c in tallies.FIRST_LAST_COLUMNS if c not in SHOWN_ELSEWHERE]

with jobenv.job_log(sm.log[0]) as log:
    samples = read_tsv(sm.input.samples, dtype=str)
    order = pages.site_order(samples)
    text_columns = {"basin": str, "site": str, "campaign": str, "reference_site": str}

    def read(path, columns):
        table = read_tsv(path, dtype=text_columns)
        return pages.in_site_order(pages.select(table, columns), order, campaigns)

    tallies_page = pages.page(
        text["tallies"],
        [
            (
                text["basin_campaign"],
                text["tally_note"],
                read(sm.input.basin_campaign, tallies.BASIN_CAMPAIGN_COLUMNS),
            ),
            (text["basin"], "", read(sm.input.basin, tallies.BASIN_COLUMNS)),
            (
                text["site_campaign"],
                "",
                read(sm.input.site_campaign, tallies.SITE_CAMPAIGN_COLUMNS),
            ),
        ],
        language,
    )
    trends_page = pages.page(
        text["trends"],
        [
            (text["verdicts"], text["verdict_note"], read(sm.input.verdicts, VERDICT)),
            (text["recovery"], "", read(sm.input.recovery, RECOVERY)),
            (text["richness"], "", read(sm.input.richness, tallies.TREND_COLUMNS)),
            (text["similarity"], "", read(sm.input.similarity, tallies.SIMILARITY_COLUMNS)),
            (text["indicators"], "", read(sm.input.indicators, tallies.INDICATOR_COLUMNS)),
            (text["first_last"], "", read(sm.input.first_last, FIRST_LAST)),
        ],
        language,
    )
    outcome = read(sm.input.warnings, ["source", "campaign", "basin", "message", "setting"])
    warnings_page = pages.page(
        text["warnings"],
        [
            (text["outcome"], "", outcome.query("source == 'outcome'").drop(columns="source")),
            (text["run"], text["run_note"], read(sm.input.run_warnings, runqc.WARNING_COLUMNS)),
            (text["controls"], "", read(sm.input.control_warnings, ["warning"])),
        ],
        language,
    )
    write_text(webfont.embed(tallies_page), sm.output.tallies)
    write_text(webfont.embed(trends_page), sm.output.trends)
    write_text(webfont.embed(warnings_page), sm.output.warnings)
    log.write("tallies, trends and warnings pages written\n")
