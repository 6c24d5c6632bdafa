"""Incidence-based richness over field replicates: Chao2 and sample coverage.

The sampling units are the field replicates (water samples) of a site in a campaign, or
all field replicates of a basin in a campaign. A taxon's incidence is the number of units
in which it was detected; ``Q1`` and ``Q2`` are the numbers of taxa found in exactly one
and exactly two units, ``m`` the number of units, ``U`` the sum of the incidences.

- **Chao2, bias-corrected** (Chao 1987; Chao 2005, Encyclopedia of Statistical Sciences):
  ``S = S_obs + (m-1)/m * Q1 (Q1 - 1) / (2 (Q2 + 1))`` with the variance of Chao (2005)
  and the log-transformed 95 % interval of Chao (1987), whose lower end is never below
  ``S_obs``. Where the estimator infers no missing taxon (Q1 <= 1, so S = S_obs) the
  log-transform is undefined: the interval runs from ``S_obs`` to ``S + z * se`` (normal
  approximation; se 0 when Q1 = 0) and a note says so.
- **Sample coverage** of the reference sample (Chao & Jost 2012, incidence form): the
  estimated share of the community's incidences that belong to taxa already detected,
  ``C = 1 - Q1/U * (m-1) Q1 / ((m-1) Q1 + 2 Q2)`` (``Q2 = 0``: the factor is
  ``(m-1)(Q1-1) / ((m-1)(Q1-1) + 2)``).

With one sampling unit there are no uniques to compare: no estimate (NaN and a note).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

NOTE_ONE_UNIT = "one field replicate: richness beyond the observed is not estimable"
NOTE_NOTHING = "no taxa detected"
NOTE_NONE_MISSING = (
    "at most one taxon found in a single water sample: no undetected taxa inferred; "
    "interval from the observed count up (normal approximation)"
)


@dataclass(frozen=True)
class Chao2:
    """Observed and estimated richness of one group of sampling units."""

    units: int
    observed: int
    q1: int
    q2: int
    estimate: float
    se: float
    lower: float
    upper: float
    coverage: float
    note: str = ""


def chao2(incidences: Sequence[int] | np.ndarray, units: int, level: float = 0.95) -> Chao2:
    """Chao2 (bias-corrected) with its interval and the sample coverage.

    ``incidences`` holds one count (1..units) per detected taxon; ``units`` is the number
    of sampling units, including units without any detection.
    """
    y = np.asarray(incidences, dtype=int)
    y = y[y > 0]
    if units < 0 or (y.size and y.max() > units):
        raise ValueError(f"incidences {y.tolist()} do not fit {units} sampling units")
    s_obs = int(y.size)
    q1, q2 = int(np.sum(y == 1)), int(np.sum(y == 2))
    if units <= 1:
        note = NOTE_ONE_UNIT if s_obs else NOTE_NOTHING
        return Chao2(units, s_obs, q1, q2, math.nan, math.nan, math.nan, math.nan, math.nan, note)
    if s_obs == 0:
        return Chao2(units, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, math.nan, NOTE_NOTHING)
    z = float(ndtri(1 - (1 - level) / 2))
    a = (units - 1) / units
    note = ""
    estimate = s_obs + a * q1 * (q1 - 1) / (2 * (q2 + 1))
    if q1 >= 2:
        var = (
            a * q1 * (q1 - 1) / (2 * (q2 + 1))
            + a**2 * q1 * (2 * q1 - 1) ** 2 / (4 * (q2 + 1) ** 2)
            + a**2 * q1**2 * q2 * (q1 - 1) ** 2 / (4 * (q2 + 1) ** 4)
        )
        t = estimate - s_obs
        k = math.exp(z * math.sqrt(math.log(1 + var / t**2)))
        lower, upper = s_obs + t / k, s_obs + t * k
    else:
        # no taxon is inferred missing (Q1 <= 1): the estimate is the observed count, and the
        # interval runs from it up by the normal approximation of the variance above
        var = a**2 * q1 * (2 * q1 - 1) ** 2 / (4 * (q2 + 1) ** 2)
        lower, upper = float(s_obs), estimate + z * math.sqrt(var)
        note = NOTE_NONE_MISSING
    return Chao2(
        units,
        s_obs,
        q1,
        q2,
        float(estimate),
        math.sqrt(var),
        float(lower),
        float(upper),
        coverage(y, units),
        note,
    )


def coverage(incidences: Sequence[int] | np.ndarray, units: int) -> float:
    """Sample coverage of the observed units (Chao & Jost 2012, incidence data)."""
    y = np.asarray(incidences, dtype=int)
    y = y[y > 0]
    if units <= 1 or y.size == 0:
        return math.nan
    q1, q2, total = int(np.sum(y == 1)), int(np.sum(y == 2)), int(y.sum())
    if q1 == 0:
        return 1.0
    m = units
    if q2 > 0:
        factor = (m - 1) * q1 / ((m - 1) * q1 + 2 * q2)
    else:
        factor = (m - 1) * (q1 - 1) / ((m - 1) * (q1 - 1) + 2)
    return float(1 - q1 / total * factor)
