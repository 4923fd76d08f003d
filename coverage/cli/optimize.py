"""``python -m coverage optimize``: siting models on an analyst's own OD matrix.

Example::

    python -m coverage optimize --od OD.csv --demand DEMAND.csv --model mclp --p 4 --threshold 5000 --json

``OD.csv`` has ``from_id, to_id, cost`` (any unit; pairs that are absent are
unreachable), or ``travel_time_min`` as ``python -m coverage od`` writes it;
``DEMAND.csv`` has ``id, weight``, or give the village list itself
(``--demand 村庄名单.xlsx --weight elderly_60plus``: any population group).  The candidate sites are the
OD table's ``to_id`` values (minus ``--fixed``, which are existing sites: open,
free, not counted in ``--p``).  Exit code 0 with a solution (optimal, feasible
or time_limit: see ``status``), 1 when the model is infeasible, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

MODELS = ("lscp", "mclp", "pmedian", "target")


def _ids(text: str | None) -> list[str]:
    if not text:
        return []
    return [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]


def register(subparsers: Any) -> None:
    """Add the ``optimize`` subcommand."""
    from coverage.cli import positive_float, positive_int, share

    p = subparsers.add_parser(
        "optimize", help="选址优化 / solve a siting model (lscp, mclp, pmedian, target) on an OD matrix",
        description="Solve a siting model exactly with HiGHS on an OD matrix (from_id, to_id, cost).",
        epilog="Example: python -m coverage optimize --od OD.csv --demand DEMAND.csv --model mclp --p 4 "
               "--threshold 5000 --json")
    p.add_argument("--od", required=True, help="OD CSV: from_id, to_id, cost (absent pairs = unreachable)")
    p.add_argument("--demand", required=True,
                   help="demand CSV with id, weight; or a village list (.xlsx/.csv as the loaders read it) "
                        "with --weight GROUP")
    p.add_argument("--weight", default=None, metavar="GROUP",
                   help="population group of a village list to weigh by, e.g. elderly_60plus, "
                        "left_behind_children (default: the 'weight' column of a demand CSV)")
    p.add_argument("--model", required=True, choices=MODELS,
                   help="lscp: cover all coverable; mclp: most weight with --p; pmedian: least total cost with --p;"
                        " target: fewest sites for --target-share")
    p.add_argument("--p", type=positive_int, default=None, help="number of new sites (mclp, pmedian; cap for target)")
    p.add_argument("--threshold", type=positive_float, default=None, help="coverage threshold in the OD cost unit")
    p.add_argument("--target-share", type=share, default=None, help="share of weight to cover (target), e.g. 0.95")
    p.add_argument("--fixed", default=None, help="comma-separated to_ids of existing sites (always open)")
    p.add_argument("--force-in", default=None, help="comma-separated candidate ids forced into the solution")
    p.add_argument("--force-out", default=None, help="comma-separated candidate ids excluded")
    p.add_argument("--cost-column", default=None,
                   help="OD column holding the cost (default: cost, else travel_time_min)")
    p.add_argument("--time-limit-s", type=positive_float, default=60.0, help="solver time limit, seconds (default 60)")
    p.add_argument("--method", choices=("auto", "exact", "heuristic"), default="auto")
    p.add_argument("--assignment", default=None, help="write each demand point's nearest open site to this CSV")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(func=run)


def _read_csv(path: str, what: str, id_cols: tuple[str, ...]) -> Any:
    import pandas as pd

    from coverage.errors import FileReadError

    last: Exception | None = None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            df = pd.read_csv(path, dtype=dict.fromkeys(id_cols, str), encoding=enc)
            df.columns = [str(c).strip() for c in df.columns]
            for c in id_cols:
                if c in df.columns:
                    # ids such as '=1 were quoted for Excel when written (coverage.output.safe_text): unquote
                    df[c] = df[c].str.strip().str.replace(r"^'(?=[=+\-@\t\r])", "", regex=True)
            return df
        except UnicodeDecodeError as exc:
            last = exc
        except FileNotFoundError as exc:
            raise FileReadError(f"{path}: {what} file not found; check the path") from exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise FileReadError(f"{path}: cannot read the {what} CSV ({exc}); save it as CSV (UTF-8)") from exc
    raise FileReadError(f"{path}: cannot decode the {what} CSV as UTF-8 or GB18030 ({last}); save it as CSV UTF-8")


def _demand(path: str, weight: str | None) -> Any:
    """``id, weight`` from a demand CSV, or from a village list's population group ``weight``."""
    import pandas as pd

    from coverage.errors import MissingColumnError, UnknownCategoryError

    if weight is None and not path.lower().endswith((".xlsx", ".xlsm")):
        demand = _read_csv(path, "demand", ("id",))
        if "weight" not in demand.columns:
            raise MissingColumnError(f"{path}: column 'weight' is missing (has: {', '.join(demand.columns)}); "
                                     "add it, or give a village list with --weight GROUP (e.g. elderly_60plus)")
        return demand
    from coverage.inputs import load_demand
    from coverage.taxonomy import POPULATION_GROUPS, population_group

    if weight is None:
        raise MissingColumnError(f"{path}: a village list needs --weight GROUP, e.g. --weight elderly_60plus "
                                 f"(groups: {', '.join(POPULATION_GROUPS)})")
    try:
        weight = population_group(weight).key  # keys, Chinese names and aliases (60岁以上老人 ...)
    except UnknownCategoryError as exc:
        raise UnknownCategoryError(f"--weight: {exc} (keys: {', '.join(POPULATION_GROUPS)})") from None
    loaded = load_demand(path)
    if len(loaded.rejected):
        print(f"warning: {path}: {len(loaded.rejected)} row(s) rejected and not used; `python -m coverage "
              f"validate {path} --kind demand` lists them", file=sys.stderr)
    return pd.DataFrame({"id": loaded.data["id"].astype(str), "weight": loaded.data[weight].astype(float)})


def run(args: argparse.Namespace) -> int:
    """Run ``optimize``; returns the exit code."""
    import pandas as pd

    from coverage.errors import InfeasibleError, MissingColumnError
    from coverage.output import safe_frame, writable_file
    from coverage.siting import build_problem, solve

    if args.assignment:
        writable_file(args.assignment)
    od = _read_csv(args.od, "OD", ("from_id", "to_id"))
    demand = _demand(args.demand, args.weight)
    cost_col = args.cost_column or next((c for c in ("cost", "travel_time_min") if c in od.columns), "cost")
    if cost_col not in od.columns:
        raise MissingColumnError(f"{args.od}: column '{cost_col}' is missing (has: {', '.join(od.columns)});"
                                 " name the cost column 'cost' (or travel_time_min) or pass --cost-column")
    fixed = _ids(args.fixed)
    problem = build_problem(od, demand, cost_column=cost_col, weight_columns="weight", fixed=fixed,
                            forced_in=_ids(args.force_in), forced_out=_ids(args.force_out), cost_unit="units",
                            source=args.od)

    def progress(fraction: float, message: str) -> None:
        if not args.json:
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    try:
        result = solve(problem, model=args.model, threshold=args.threshold, p=args.p,
                       target_share=args.target_share, time_limit_s=args.time_limit_s, method=args.method,
                       progress=progress)
    except InfeasibleError as exc:
        if args.json:
            print(json.dumps({"status": "infeasible", "model": args.model, "objective": None, "bound": None,
                              "gap": None, "selected": [], "covered_weight": None, "message": str(exc)},
                             ensure_ascii=False))
        else:
            print(f"infeasible: {exc}", file=sys.stderr)
        return 1
    if args.assignment:
        out = result.assignment.rename(columns={"cost": cost_col})
        safe_frame(pd.DataFrame(out), csv=True).to_csv(args.assignment, index=False, encoding="utf-8-sig")
    d = result.to_dict()
    if args.json:
        print(json.dumps(d, ensure_ascii=False))
    else:
        print(f"{args.model}: {d['status']} ({result.message})")
        print(f"objective {d['objective']}, bound {d['bound']}, gap {d['gap']}, {d['time_s']:.2f} s")
        print(f"selected ({len(d['selected'])}): {', '.join(map(str, d['selected']))}")
        if d.get("covered_weight") is not None:
            print(f"covered weight {d['covered_weight']:,.6g} of {d['total_weight']:,.6g}")
    return 0
