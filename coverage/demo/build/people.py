"""Village populations and vulnerable groups (simulated, calibrated to the region's totals).

Log-normal village sizes scaled to each county's total; the older share 14-26 % rising with the
mountain index, scaled to 20 % overall; the exact published group totals are allocated with a
seeded multinomial draw, the others drawn as Poisson counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coverage.demo.build.places import Places
from coverage.demo.build.sampling import largest_remainder
from coverage.demo.regions import RegionSpec


def draw_population(spec: RegionSpec, pl: Places, rng: np.random.Generator) -> pd.DataFrame:
    """Population and group counts of every village (persons).

    Parameters
    ----------
    spec
        The region: county populations and ``targets`` (group totals).
    pl
        Township seats and villages with their mountain index.
    rng
        The first stage's generator.

    Returns
    -------
    pandas.DataFrame
        ``pl.villages`` plus ``population`` and the :data:`coverage.model.POPULATION_COLUMNS` groups.
    """
    v = pl.villages.copy()
    m = v["mountain"].to_numpy()
    comm = v["is_community"].to_numpy()
    street = v["township_code"].map(pl.towns.set_index("township_code")["kind"]).eq("street").to_numpy()
    size = np.where(
        comm,
        rng.lognormal(np.log(3500), 0.5, len(v)) * np.where(street, 1.6, 1.0),
        rng.lognormal(np.log(2200), 0.45, len(v)) * (1 - 0.3 * m),
    )
    pop = np.zeros(len(v), dtype=np.int64)
    for cs in spec.counties:
        sel = (v["county_code"] == cs.code).to_numpy()
        pop[sel] = largest_remainder(size[sel], cs.population)
    v["population"] = pop
    share = np.clip(0.14 + 0.12 * m + rng.normal(0, 0.012, len(v)), 0.10, 0.32)
    share *= 0.20 * pop.sum() / (share * pop).sum()
    v["elderly_60plus"] = np.round(pop * share).astype(np.int64)
    v["elderly_80plus"] = np.round(v["elderly_60plus"] * rng.uniform(0.11, 0.16, len(v))).astype(np.int64)
    v["disabled_elderly"] = np.round(v["elderly_60plus"] * (0.07 + 0.06 * m)).astype(np.int64)
    t = spec.targets
    w_lbe = v["elderly_60plus"].to_numpy() * np.where(comm, 0.2, 1.0) * (0.5 + m)
    v["left_behind_elderly"] = rng.multinomial(t["left_behind_elderly"], w_lbe / w_lbe.sum())
    v["dispersed_poor"] = rng.poisson(pop * np.where(comm, 0.0008, 0.0015 + 0.004 * m))
    w_lbc = pop * np.where(comm, 0.15, 1.0) * (0.5 + m)
    v["left_behind_children"] = rng.multinomial(t["left_behind_children"], w_lbc / w_lbc.sum())
    v["children_in_difficulty"] = rng.poisson(pop * (0.0008 + 0.0015 * m))
    return v

