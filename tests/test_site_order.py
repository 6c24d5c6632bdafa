"""site_order: a basin's sites upstream to downstream where the sheets list them otherwise."""

from __future__ import annotations

import pandas as pd
import pytest

from riverfish import sheets
from riverfish.errors import InputError


def _table():
    rows = [
        ("s1", "spring", "A", "A-mine", "sample"),
        ("s2", "spring", "A", "A-down", "sample"),
        ("s3", "spring", "A", "A-up", "sample"),
        ("b1", "spring", "A", "A-blank", "field_blank"),
        ("s4", "spring", "B", "B-1", "sample"),
        ("s5", "autumn", "B", "B-1", "sample"),
        ("s6", "autumn", "A", "A-down", "sample"),
        ("s7", "autumn", "A", "A-up", "sample"),
    ]
    return pd.DataFrame(rows, columns=["sample", "campaign", "basin", "site", "type"])


def test_sites_follow_the_given_order_within_campaign_and_basin():
    out = sheets.order_sites(_table(), {"A": ["A-up", "A-mine", "A-down"]})
    # within each campaign: basins in the order of their first appearance, the listed
    # sites in the given order, then the rest (the blank) as the sheet has them
    assert out["sample"].tolist() == ["s3", "s1", "s2", "b1", "s4", "s7", "s6", "s5"]


def test_a_partial_order_puts_the_listed_sites_first():
    out = sheets.order_sites(_table(), {"A": ["A-down"]})
    assert out["sample"].tolist() == ["s2", "s1", "s3", "b1", "s4", "s6", "s7", "s5"]


def test_no_site_order_keeps_the_sheets():
    table = _table()
    assert sheets.order_sites(table, {}) is table


def test_unknown_basin_or_site_is_an_error_listing_the_known_names():
    with pytest.raises(InputError) as err:
        sheets.order_sites(_table(), {"C": ["x"], "A": ["A-up", "A-middle", "A-up"]})
    text = str(err.value)
    assert "3 problem(s) in the config's site_order" in text
    assert "site_order names basin 'C', which no sample sheet has river samples of" in text
    assert "the sheets' basins: A, B" in text
    assert "site(s) A-middle that no sheet has; the basin's sites: A-mine, A-down, A-up" in text
    assert "site_order of basin 'A' lists A-up more than once" in text
