"""Snakemake adapter: the report's tallies, trends and warnings pages."""

from riverfish import jobenv, pages, webfont
from riverfish.files import write_text
from riverfish.tables import read_tsv

sm = snakemake  # noqa: F821 (injected by Snakemake)
language = sm.params.language
text = pages.PAGE_TEXT[language]
campaigns = list(sm.params.campaigns)

with jobenv.job_log(sm.log[0]) as log:
    samples = read_tsv(sm.input.samples, dtype=str)
    order = pages.site_order(samples)
    text_columns = {"basin": str, "site": str, "campaign": str, "reference_site": str}

    def read(path, columns):
        table = read_tsv(path, dtype=text_columns)
        return pages.in_site_order(pages.select(table, columns), order, campaigns)

    tally = ["basin", "site", "campaign", "n_orders", "n_families", "n_species", "n_campaigns"]
    tallies_page = pages.page(
        text["tallies"],
        [
            (text["basin_campaign"], text["tally_note"], read(sm.input.basin_campaign, tally)),
            (text["basin"], "", read(sm.input.basin, tally)),
            (text["site_campaign"], "", read(sm.input.site_campaign, tally)),
        ],
        language,
    )
    verdict_columns = [
        "basin", "site", "reference_site", "first_campaign", "last_campaign",
        "relative_first", "relative_last", "per_sample_slope", "verdict", "note",
    ]  # fmt: skip
    recovery_columns = [
        "basin", "site", "reference_site", "campaign", "n_samples", "n_species",
        "n_species_reference", "relative_richness", "sorensen", "note",
    ]  # fmt: skip
    trends_page = pages.page(
        text["trends"],
        [
            (text["verdicts"], text["verdict_note"], read(sm.input.verdicts, verdict_columns)),
            (text["recovery"], "", read(sm.input.recovery, recovery_columns)),
            (
                text["richness"],
                "",
                read(
                    sm.input.richness,
                    [
                        "basin",
                        "site",
                        "campaign",
                        "n_orders",
                        "n_families",
                        "n_species",
                        "change_from_previous",
                        "change_from_first",
                    ],
                ),
            ),  # fmt: skip
            (
                text["similarity"],
                "",
                read(
                    sm.input.similarity,
                    [
                        "basin",
                        "campaign",
                        "site",
                        "reference_site",
                        "n_taxa",
                        "n_taxa_reference",
                        "n_shared",
                        "jaccard",
                        "sorensen",
                        "note",
                    ],
                ),
            ),  # fmt: skip
            (
                text["indicators"],
                "",
                read(sm.input.indicators, ["basin", "campaign", "group", "n_taxa", "taxa"]),
            ),
            (
                text["first_last"],
                "",
                read(
                    sm.input.first_last,
                    [
                        "basin",
                        "taxon",
                        "common_name",
                        "first_campaign",
                        "last_campaign",
                        "n_campaigns_detected",
                        "sites",
                    ],
                ),
            ),  # fmt: skip
        ],
        language,
    )
    warnings_page = pages.page(
        text["warnings"],
        [
            (
                text["outcome"],
                "",
                read(sm.input.warnings, ["source", "campaign", "basin", "message", "setting"])
                .query("source == 'outcome'")
                .drop(columns="source"),
            ),
            (
                text["run"],
                text["run_note"],
                read(
                    sm.input.run_warnings,
                    [
                        "campaign",
                        "sample",
                        "check",
                        "observed",
                        "expected",
                        "message",
                        "likely_cause",
                        "setting",
                    ],
                ),
            ),  # fmt: skip
            (text["controls"], "", read(sm.input.control_warnings, ["warning"])),
        ],
        language,
    )
    write_text(webfont.embed(tallies_page), sm.output.tallies)
    write_text(webfont.embed(trends_page), sm.output.trends)
    write_text(webfont.embed(warnings_page), sm.output.warnings)
    log.write("tallies, trends and warnings pages written\n")
