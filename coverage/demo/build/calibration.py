"""The second build stage: the facility counts the prefecture's reviews publish as achieved."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from coverage.demo.build.facilities import FACILITY_CAPACITY, FACILITY_NAMES, facility_name
from coverage.demo.build.places import Places
from coverage.demo.build.sampling import FloatArray, choose, largest_remainder, offset_on_land
from coverage.demo.regions import RegionSpec
from coverage.errors import InputError
from coverage.taxonomy import FACILITY_TYPES

#: Bed-holding care institutions (养老机构 in the published count: private and public homes, township
#: regional centres with beds, county disability-care institutions).
BED_INSTITUTION_TYPES: tuple[str, ...] = ("elderly_institution", "township_elderly_center", "county_disability_care")
#: The community services Dali's review counts together (1663个综合养老服务中心、托育服务中心、居家养老服务中心、
#: "幸福食堂"、"儿童之家"): not the rural 幸福小院, which have a rule of their own.
COMMUNITY_SERVICE_TYPES: tuple[str, ...] = (
    "township_elderly_center", "childcare_institution", "community_daycare", "elderly_canteen", "childrens_home",
)
#: Distance of a rural group's venue from the village point, metres: from [0] to [1] + [2] x mountain index
#: (plausible: groups lie a few hundred metres to a few km apart, farther in the mountains).
_GROUP_RING_M = (500.0, 1200.0, 2500.0)
#: Expected share of beds occupied, by kind of institution, before scaling to the published residents
#: (plausible: county seats fuller than townships, as Yuxi's 33.87% overall suggests).
_OCCUPANCY_WEIGHT = {"seat": 0.45, "town": 0.22, "county_disability_care": 0.5, "township_elderly_center": 0.2}


def calibrate(
    spec: RegionSpec, pl: Places, v: pd.DataFrame, fac: pd.DataFrame, names: dict[str, str],
    rng: np.random.Generator, road_xy: FloatArray | None = None,
) -> pd.DataFrame:
    """The second stage: set the facility counts the reviews publish as achieved (``spec.calibration``).

    Runs after the roads and candidates are drawn, with its own generator, so the first
    stage (and the road network) stays as it was; each new facility stands 10-80 m from the
    nearest node of ``road_xy`` (metric coordinates of the walkable road nodes) near the spot
    drawn for it, so it has an access road.  Rows keep their ``seq`` (the facility
    id); new rows get the next numbers; removed rows' numbers are not reused.

    * a county disability-care institution in ``county_disability_care_counties`` counties; township regional centres
      (or a county disability-care institution) in ``township_centre_towns`` townships;
      the ``bed_institutions`` bed-holding institutions hold exactly ``beds`` beds and
      ``residents`` residents (township homes become regional centres, surplus homes go);
    * a minor-protection station in every township, beside its social-work station;
    * ``social_work_room`` village social-work rooms, one per village;
    * ``elderly_activity_center`` village and group day-care venues: every community
      without a day-care centre gets one, the rest go to the villages' groups;
    * ``community_services``: the facilities of :data:`COMMUNITY_SERVICE_TYPES` number exactly this
      many; childcare institutions (托育服务机构) in communities and township seats make up the total.

    Each step runs only when ``spec.calibration`` has its key.

    Raises
    ------
    InputError
        The first stage has more community services than ``community_services``.
    """
    c = spec.calibration
    if not c:
        return fac
    f = fac.copy()
    towns = pl.towns.reset_index(drop=True)
    seat_town = towns[towns["is_county_seat"]].set_index("county_code")
    vxy = v[["x", "y"]].to_numpy()
    comm = v["is_community"].to_numpy()
    m_v = v["mountain"].to_numpy()
    eld = v["elderly_60plus"].to_numpy().astype(float)
    host_of_town: dict[str, int] = {}
    for r in towns.itertuples():
        idx = np.flatnonzero((v["township_code"] == r.township_code).to_numpy())
        host_of_town[r.township_code] = int(idx[np.argmin(np.hypot(vxy[idx, 0] - r.seat_x, vxy[idx, 1] - r.seat_y))])
    town_of = v["township_code"].to_numpy()
    county_of = v["county_code"].to_numpy()
    new_rows: list[dict] = []
    next_seq = int(f["seq"].max()) + 1
    snap = (road_xy, cKDTree(road_xy)) if road_xy is not None and len(road_xy) else None

    def add(ftype: str, host: int, xy: FloatArray, name: str | None = None, capacity: float | None = None) -> None:
        nonlocal next_seq
        hv = v.iloc[host]
        if name is None:
            name = facility_name(ftype, hv, names, spec)
        if capacity is None and ftype in FACILITY_CAPACITY:
            lo, hi = FACILITY_CAPACITY[ftype]
            capacity = float(round(rng.uniform(lo, hi)))
        if snap is not None:
            _, j = snap[1].query(xy)
            xy = near(snap[0][j], 10, 80, host)
        new_rows.append({"type": ftype, "name": name, "capacity": capacity, "x": xy[0], "y": xy[1], "host": host,
                         "seq": next_seq})
        next_seq += 1

    def near(xy: FloatArray, lo: float, hi: float, host: int | np.integer) -> FloatArray:
        return offset_on_land(np.asarray(xy, dtype=float), lo, hi, rng, pl.land[v.iloc[host].county_code])

    def seat_xy(tc: str) -> FloatArray:
        r = towns[towns["township_code"] == tc].iloc[0]
        return np.array([r.seat_x, r.seat_y])

    seats = set(seat_town["township_code"])
    if "county_disability_care_counties" in c:
        # 1. a county disability-care institution in `county_disability_care_counties` counties (near the seat)
        have = set(county_of[f.loc[f["type"] == "county_disability_care", "host"].to_numpy()])
        for cs in spec.counties:
            if cs.code not in have and len(have) < c["county_disability_care_counties"]:
                have.add(cs.code)
                tc = seat_town.loc[cs.code].township_code
                add("county_disability_care", host_of_town[tc], near(seat_xy(tc), 1000, 3000, host_of_town[tc]))
        f = pd.concat([f, pd.DataFrame(new_rows)], ignore_index=True)
        new_rows.clear()
    if "township_centre_towns" in c:
        # 2. township regional centres: township homes (elderly institutions outside the county seat) become
        #    regional centres, largest elderly population first, until enough townships have one
        covered = set(town_of[f.loc[f["type"].isin(["township_elderly_center", "county_disability_care"]),
                                    "host"].to_numpy()])
        eld_town = pd.Series(eld).groupby(town_of).sum()
        homes = f[(f["type"] == "elderly_institution")].copy()
        homes["town"] = town_of[homes["host"].to_numpy()]
        homes = homes[~homes["town"].isin(seats) & ~homes["town"].isin(covered)]
        homes = homes.assign(w=eld_town.reindex(homes["town"]).to_numpy()).sort_values("w", ascending=False)
        for i, r in homes.drop_duplicates("town").iterrows():
            if len(covered) >= c["township_centre_towns"]:
                break
            f.loc[i, "type"] = "township_elderly_center"
            f.loc[i, "name"] = FACILITY_NAMES["township_elderly_center"].format(t=names[r.town], v="", c="", p="")
            covered.add(r.town)
        if len(covered) < c["township_centre_towns"]:
            rest = [tc for tc in towns.loc[towns["kind"] != "street", "township_code"] if tc not in covered]
            w = eld_town.reindex(rest).to_numpy(dtype=float)
            for i in choose(len(rest), c["township_centre_towns"] - len(covered), w, rng):
                tc = rest[int(i)]
                add("township_elderly_center", host_of_town[tc], near(seat_xy(tc), 100, 400, host_of_town[tc]))
            f = pd.concat([f, pd.DataFrame(new_rows)], ignore_index=True)
            new_rows.clear()
    if "bed_institutions" in c:
        # 3. exactly `bed_institutions` bed-holding institutions: surplus homes go (county-seat homes kept,
        #    then the largest), and the published beds and residents are shared out among the rest
        beds_at = f["type"].isin(BED_INSTITUTION_TYPES)
        surplus = int(beds_at.sum()) - c["bed_institutions"]
        if surplus > 0:
            homes = f[f["type"] == "elderly_institution"]
            in_seat = pd.Series(town_of[homes["host"].to_numpy()], index=homes.index).isin(seats)
            order = homes.assign(seat=in_seat.to_numpy()).sort_values(["seat", "capacity"], kind="stable").index
            f = f.drop(index=order[:surplus]).reset_index(drop=True)
            beds_at = f["type"].isin(BED_INSTITUTION_TYPES)
        inst = f.index[beds_at]
        f.loc[inst, "capacity"] = largest_remainder(f.loc[inst, "capacity"].to_numpy(float), c["beds"]).astype(float)
        kind = [
            ftype if ftype != "elderly_institution" else ("seat" if town_of[h] in seats else "town")
            for ftype, h in zip(f.loc[inst, "type"], f.loc[inst, "host"], strict=True)
        ]
        w = f.loc[inst, "capacity"].to_numpy(float) * np.array([_OCCUPANCY_WEIGHT[k] for k in kind])
        w = w * rng.uniform(0.6, 1.4, len(w))
        residents = np.minimum(largest_remainder(w, c["residents"]), f.loc[inst, "capacity"].to_numpy(float))
        short = c["residents"] - int(residents.sum())  # capped rows: the rest to the emptiest ones
        if short:
            room = f.loc[inst, "capacity"].to_numpy(float) - residents
            residents[np.argsort(-room)[:short]] += 1
        f["residents"] = np.nan
        f.loc[inst, "residents"] = residents
    if "minor_protection_station" in c:
        # 4. a minor-protection station in every township, beside its social-work station (依托社工站)
        have = set(town_of[f.loc[f["type"] == "minor_protection_station", "host"].to_numpy()])
        sws = f[f["type"] == "social_work_station"].assign(town=lambda d: town_of[d["host"].to_numpy()])
        sws = sws.drop_duplicates("town").set_index("town")
        for tc in towns["township_code"]:
            if tc in have or len(have) >= c["minor_protection_station"]:
                continue
            if tc in sws.index:
                r = sws.loc[tc]
                xy = near(np.array([r.x, r.y], dtype=float), 10, 40, int(r.host))
                add("minor_protection_station", int(r.host), xy)
            else:
                add("minor_protection_station", host_of_town[tc], near(seat_xy(tc), 50, 300, host_of_town[tc]))
            have.add(tc)
    if "ash_radius_m" in c:
        # 5. ash placement serves every village (公益性骨灰安放设施100%覆盖村): a village farther than
        #    `ash_radius_m` (straight line) from every ash-placement facility or public cemetery gets one,
        #    farthest first (the analysis then checks the published reading, 30 min by car)
        ash = f[f["type"].isin(["ash_placement", "public_cemetery"])][["x", "y"]].to_numpy(float)
        dist = np.min(np.hypot(vxy[:, None, 0] - ash[None, :, 0], vxy[:, None, 1] - ash[None, :, 1]), axis=1)
        while dist.max() > c["ash_radius_m"]:
            h = int(np.argmax(dist))
            xy = near(vxy[h], 300, 1000, h)
            add("ash_placement", h, xy)
            dist = np.minimum(dist, np.hypot(vxy[:, 0] - xy[0], vxy[:, 1] - xy[1]))
    n_vill = len(v)
    if "social_work_room" in c:
        # 6. village social-work rooms (村为室点), at the village committee
        lacking = choose(n_vill, n_vill - c["social_work_room"], (0.2 + m_v) ** 3, rng)
        for h in np.setdiff1d(np.arange(n_vill), lacking):
            add("social_work_room", int(h), near(vxy[h], 10, 80, int(h)))
    if "elderly_activity_center" in c:
        # 7. day-care venues (村组老年活动中心等日间照料场所): every community without a day-care centre
        #    gets one; the rest go to the villages' groups (more in rural villages), up to a few km out
        with_centre = set(f.loc[f["type"] == "community_daycare", "host"].to_numpy().tolist())
        first = [i for i in np.flatnonzero(comm) if i not in with_centre]
        per_village = np.zeros(n_vill, dtype=np.int64)
        per_village[first] = 1
        w = eld * np.where(comm, 0.6, 1.4)
        per_village += rng.multinomial(c["elderly_activity_center"] - len(first), w / w.sum())
        for h in np.flatnonzero(per_village).tolist():
            hv = v.iloc[h]
            for k in range(per_village[h]):
                if comm[h] and k == 0:  # the community's own, by the residents' committee
                    name, xy = None, near(vxy[h], 30, 300, int(h))
                elif comm[h]:
                    name, xy = f"{hv.village_name}第{k}居民小组老年活动室", near(vxy[h], 300, 900, int(h))
                else:  # a rural group's hamlet: a few hundred metres to a few km from the committee
                    name = f"{hv.village_name}第{k + 1}村民小组老年活动室"
                    xy = near(vxy[h], _GROUP_RING_M[0], _GROUP_RING_M[1] + _GROUP_RING_M[2] * m_v[h], int(h))
                add("elderly_activity_center", int(h), xy, name=name)
    if "community_services" in c:
        # 8. Dali's community services (综合养老服务中心、托育服务中心、居家养老服务中心、幸福食堂、儿童之家):
        #    childcare institutions make up the published total, in communities and township seats
        n_childcare = c["community_services"] - sum(
            1 for t in [*f["type"], *(r["type"] for r in new_rows)] if t in COMMUNITY_SERVICE_TYPES
        )
        if n_childcare < 0:
            msg = (f"{spec.key}: {-n_childcare} more community services ({', '.join(COMMUNITY_SERVICE_TYPES)}) "
                   f"than the published {c['community_services']}: lower their first-stage targets")
            raise InputError(msg)
        hosts = np.union1d(np.flatnonzero(comm), np.array(sorted(host_of_town.values()), dtype=np.int64))
        w = v["population"].to_numpy(float)[hosts]
        per_host = rng.multinomial(n_childcare, w / w.sum())
        for h, n in zip(hosts.tolist(), per_host.tolist(), strict=True):
            for k in range(n):
                name = None if k == 0 else f"{v.iloc[h].village_name}第{k + 1}托育点"
                add("childcare_institution", int(h), near(vxy[h], 50, 600, int(h)), name=name)
    f = pd.concat([f, pd.DataFrame(new_rows)], ignore_index=True)
    f["capacity_unit"] = f["type"].map(lambda k: FACILITY_TYPES[k].capacity_unit)
    f.loc[f["capacity_unit"].isna(), "capacity"] = np.nan
    f["status"] = "existing"
    return f.sort_values("seq", kind="stable").reset_index(drop=True)

