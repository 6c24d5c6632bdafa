"""Run quality: the share of reads kept by each read step, against what a sound MiSeq run
of MiFish amplicons gives, with a warning for every shortfall.

A poor run (low base quality towards the 3' ends, the wrong primers, primer dimers, low
depth) still produces tables that look complete. This check reads the read tracking of
every campaign and says, in words, which step lost more reads than expected, the likely
cause and the setting to try. Campaigns are judged over their field samples together;
a field sample is named on its own only where its campaign as a whole passes that check
(an outlier), so a poor run gives one warning per step, not one per sample. Controls
(blanks, positive controls) hold few reads by design and are not judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

FIELD = "sample"


@dataclass(frozen=True)
class Check:
    """One read step: kept reads as a share of the reads before it."""

    name: str  # key in the config's run_quality section and the shares table
    what: str  # "of pairs merged whole": completes "<campaign>: 75.2 % ..."
    cause: str
    setting: str


CHECKS = (
    Check(
        "merged",
        "of pairs merged whole",
        "low base quality towards the 3' ends of the reads (the overlap does not align), "
        "or amplicons too long for the reads to overlap",
        "merge.retry_lengths (cut the 3' ends of the pairs that fail), "
        "merge.truncate_r1 / merge.truncate_r2, merge.max_diffs; look at the run's "
        "quality profile",
    ),
    Check(
        "primer_trimmed",
        "of merged reads with both primers",
        "primers other than those configured (another MiFish primer set or a primer mix), "
        "more random bases before the primer than allowed, or many off-target reads",
        "primers.forward / primers.reverse (the degenerate Unity primers for a mix), "
        "primers.random_prefix_max, primers.max_error_rate",
    ),
    Check(
        "length_ok",
        "of trimmed inserts in the length window",
        "primer dimers or off-target amplicons (inserts outside the window)",
        "filter.min_length / filter.max_length (the MiFish insert is 163-185 bp in most fishes)",
    ),
    Check(
        "quality_ok",
        "of inserts within the expected-error limit",
        "many sequencing errors (low base quality); these reads still count in the ASVs "
        "they match, but ASVs are found from the others only",
        "filter.max_expected_errors",
    ),
    Check(
        "in_asvs",
        "of inserts counted in ASVs",
        "many reads that match no ASV: sequences too rare to be denoised, chimeras, "
        "low depth or much non-target DNA",
        "denoise.sample_min_size, denoise.min_size; the campaign_asvs log lists what "
        "denoising kept",
    ),
)

#: share of ``name`` = reads kept / reads before (columns of the read-tracking table)
RATIOS = {
    "merged": ("merged_whole", "raw_pairs"),
    "primer_trimmed": ("primer_trimmed", "merged"),
    "length_ok": ("length_ok", "primer_trimmed"),
    "quality_ok": ("quality_ok", "length_ok"),
    "in_asvs": ("in_asvs", "length_ok"),
}

DEFAULT_EXPECTED = {
    "merged": 0.9,
    "primer_trimmed": 0.85,
    "length_ok": 0.9,
    "quality_ok": 0.85,
    "in_asvs": 0.85,
    "min_pairs": 1000,
}

SHARE_COLUMNS = ["level", "campaign", "sample", "field_samples", "raw_pairs"]
SHARE_COLUMNS += [f"share_{c.name}" for c in CHECKS] + ["share_merged_after_truncation"]
WARNING_COLUMNS = [
    "campaign",
    "sample",
    "check",
    "observed",
    "expected",
    "message",
    "likely_cause",
    "setting",
]


def _pct(x: float) -> str:
    """75.2 %, 90 %: one decimal, none where it is 0."""
    return f"{100 * x:.1f}".removesuffix(".0") + " %"


def _share(num: float, den: float) -> float:
    return num / den if den else float("nan")


def shares(tracking: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """The share kept by each step, per campaign (its field samples together) and per
    field sample. ``tracking`` is the read-tracking table (with merged_after_truncation,
    0 if absent), ``samples`` the validated sheets (sample, type)."""
    types = samples.set_index("sample")["type"]
    t = tracking[tracking["sample"].map(types).eq(FIELD)].copy()
    if "merged_after_truncation" not in t:
        t["merged_after_truncation"] = 0
    t["merged_whole"] = t["merged"] - t["merged_after_truncation"]
    counts = ["raw_pairs", "merged", "merged_whole", "merged_after_truncation"]
    counts += ["primer_trimmed", "length_ok", "quality_ok", "in_asvs"]
    rows = []

    def row(level: str, campaign: str, sample: str, n: int, c: Mapping) -> dict:
        out = {"level": level, "campaign": campaign, "sample": sample}
        out["field_samples"] = n
        out["raw_pairs"] = int(c["raw_pairs"])
        for name, (num, den) in RATIOS.items():
            out[f"share_{name}"] = _share(c[num], c[den])
        out["share_merged_after_truncation"] = _share(c["merged_after_truncation"], c["raw_pairs"])
        return out

    for campaign, g in t.groupby("campaign", sort=False):
        rows.append(row("campaign", campaign, "", len(g), g[counts].sum()))
        for rec in g.to_dict("records"):
            rows.append(row("sample", campaign, rec["sample"], 1, rec))
    return pd.DataFrame(rows, columns=SHARE_COLUMNS)


def run_warnings(table: pd.DataFrame, expected: Mapping | None = None) -> pd.DataFrame:
    """Every shortfall of :func:`shares` against ``expected`` (config run_quality) as a
    warning row: campaign, sample (empty for the campaign), check, observed, expected,
    message, likely_cause, setting."""
    exp = {**DEFAULT_EXPECTED, **(expected or {})}
    out = []
    camp = table[table["level"] == "campaign"].set_index("campaign")
    for rec in table.to_dict("records"):
        is_campaign = rec["level"] == "campaign"
        where = rec["campaign"] if is_campaign else f"{rec['campaign']}, sample {rec['sample']}"
        for check in CHECKS:
            got = rec[f"share_{check.name}"]
            limit = exp[check.name]
            if pd.isna(got) or got >= limit:
                continue
            if not is_campaign and camp.loc[rec["campaign"], f"share_{check.name}"] < limit:
                continue  # said once for the whole campaign
            message = f"{where}: {_pct(got)} {check.what} (expected ≥ {_pct(limit)})"
            if is_campaign:
                below = table[
                    (table["level"] == "sample")
                    & (table["campaign"] == rec["campaign"])
                    & (table[f"share_{check.name}"] < limit)
                ]
                message += f" in {len(below)} of {rec['field_samples']} field samples"
            if check.name == "merged" and rec["share_merged_after_truncation"] > 0:
                message += (
                    f"; {_pct(rec['share_merged_after_truncation'])} more merged after "
                    "their 3' ends were cut"
                )
            out.append(
                {
                    "campaign": rec["campaign"],
                    "sample": "" if is_campaign else rec["sample"],
                    "check": check.name,
                    "observed": round(got, 4),
                    "expected": limit,
                    "message": message,
                    "likely_cause": check.cause,
                    "setting": check.setting,
                }
            )
        if not is_campaign and rec["raw_pairs"] < exp["min_pairs"]:
            out.append(
                {
                    "campaign": rec["campaign"],
                    "sample": rec["sample"],
                    "check": "min_pairs",
                    "observed": rec["raw_pairs"],
                    "expected": exp["min_pairs"],
                    "message": f"{where}: {rec['raw_pairs']:,} read pairs (expected ≥ "
                    f"{exp['min_pairs']:,})",
                    "likely_cause": "low sequencing depth (a weak library or an uneven pool): "
                    "rare fish are easily missed",
                    "setting": "sequence the library again or with more depth; "
                    "run_quality.min_pairs",
                }
            )
    return pd.DataFrame(out, columns=WARNING_COLUMNS)


def html_page(table: pd.DataFrame, warnings: pd.DataFrame, title: str = "Run quality") -> str:
    """A page for the HTML report: the warnings in words, then the shares per campaign."""
    from html import escape

    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em;max-width:70em}"
        "li{margin:.4em 0}table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}"
        "th{background:#eee}.low{background:#fdd}.ok{color:#276}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    if warnings.empty:
        parts.append(
            "<p class='ok'>Every campaign and field sample kept the expected "
            "share of its reads at every step.</p>"
        )
    else:
        parts.append(f"<p><b>{len(warnings)} warning(s)</b>:</p><ul>")
        for w in warnings.to_dict("records"):
            parts.append(
                f"<li><b>{escape(w['message'])}</b>. Likely cause: "
                f"{escape(w['likely_cause'])}. Try: {escape(w['setting'])}.</li>"
            )
        parts.append("</ul>")
    camp = table[table["level"] == "campaign"]
    heads = ["campaign", "field samples", "read pairs"] + [
        c.what.removeprefix("of ") for c in CHECKS
    ]
    parts.append("<h2>Share of reads kept per step (field samples)</h2><table><tr>")
    parts += [f"<th>{escape(h)}</th>" for h in heads]
    parts.append("</tr>")
    low = set(zip(warnings["campaign"], warnings["sample"], warnings["check"], strict=True))
    for rec in camp.to_dict("records"):
        parts.append(
            f"<tr><td>{escape(rec['campaign'])}</td><td>{rec['field_samples']}</td>"
            f"<td>{rec['raw_pairs']:,}</td>"
        )
        for c in CHECKS:
            v = rec[f"share_{c.name}"]
            cls = " class='low'" if (rec["campaign"], "", c.name) in low else ""
            parts.append(f"<td{cls}>{'' if pd.isna(v) else _pct(v)}</td>")
        parts.append("</tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def rst_summary(warnings: pd.DataFrame) -> str:
    """The warnings as a reStructuredText section for the report's start page."""
    lines = ["**Run quality**", ""]
    if warnings.empty:
        lines.append(
            "Every campaign and field sample kept the expected share of its reads at "
            "every read step."
        )
    else:
        lines.append(f"{len(warnings)} warning(s); see *Run quality* for the shares per step.")
        lines.append("")
        for w in warnings.to_dict("records"):
            text = f"{w['message']}. Likely cause: {w['likely_cause']}. Try: {w['setting']}."
            lines.append("- " + text.replace("*", "\\*").replace("`", "\\`"))
    return "\n".join(lines) + "\n"
