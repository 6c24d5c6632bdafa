"""Read tracking over all campaigns, with the reads left after the blank correction."""

from __future__ import annotations

import pandas as pd

from riverfish.tables import TRACKING_COLUMNS

FIELD = "sample"


def with_after_controls(
    tracking: pd.DataFrame, corrected: pd.DataFrame, samples: pd.DataFrame
) -> pd.DataFrame:
    """Add ``after_controls``: a field sample's reads left after subtracting its controls.

    Controls (negative and positive) are not corrected; their ``after_controls`` is empty.
    """
    kept = corrected.groupby("sample")["reads"].sum()
    types = samples.set_index("sample")["type"]
    out = tracking.copy()
    after = out["sample"].map(kept).fillna(0).astype("int64")
    is_field = out["sample"].map(types).eq(FIELD)
    out["after_controls"] = after.where(is_field).astype("Int64")
    return out[[*TRACKING_COLUMNS, "after_controls", "merged_after_truncation"]]
