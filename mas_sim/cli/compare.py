"""``mas-sim compare``: several policies on one scenario, as one table (and Gantt charts)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mas_sim.cli.options import (
    add_policy_option,
    add_scenario_options,
    check_outputs,
    human,
    parse_policy_options,
    point_from_args,
    scenario_label,
    write_json,
)
from mas_sim.cli.run import (
    add_output_options,
    check_html_target,
    run_one,
    write_html,
    write_outputs,
)
from mas_sim.core.errors import ConfigError, PolicyError, unknown_name

if TYPE_CHECKING:
    import pandas as pd

    from mas_sim.runs.experiment import Point

#: Columns of the printed table: (JSON field, header, format).
TABLE = (
    ("policy", "policy", "{}"),
    ("sla_satisfaction", "SLA", "{:.1%}"),
    ("met", "met", "{}"),
    ("missed", "missed", "{}"),
    ("dropped", "dropped", "{}"),
    ("antt", "ANTT", "{:.2f}"),
    ("stp", "STP", "{:.2f}"),
    ("fairness", "fairness", "{:.2f}"),
    ("sla_p1", "SLA p1", "{:.0%}"),
    ("sla_p3", "SLA p3", "{:.0%}"),
    ("sla_p9", "SLA p9", "{:.0%}"),
    ("energy_j", "energy mJ", "{:.3f}"),
    ("mean_sa_utilization", "SA util", "{:.1%}"),
    ("decision_us_per_subjob", "us/decision", "{:.1f}"),
)

#: Columns added when the runs have hit-rate targets (tenant metrics).
TENANT_TABLE = (
    ("tenants_met", "tenants met", "{}"),
    ("tenant_worst_ratio", "worst hit/target", "{:.2f}"),
    ("tenant_jain", "Jain hit/target", "{:.3f}"),
)

#: Columns added when the runs have serving metrics (a batching policy was named).
SERVING_TABLE: tuple[tuple[Any, ...], ...] = (
    ("batching", "batching", "{}"),
    ("throughput_per_s", "inf/s", "{:.0f}"),
    ("latency_p99_s", "p99 ms", "{:.2f}", 1e3),
    ("slo_violation_rate", "SLO viol", "{:.1%}"),
    ("utility", "utility", "{:.1f}"),
    ("energy_per_inference_j", "mJ/inf", "{:.3f}", 1e3),
    ("mean_batch_size", "batch", "{:.2f}"),
)

DEFAULT_POLICIES = "fcfs-h,prema-h,herald,edf-h,edf-ac-h,llf-h,moca,tenant-edf,relmas"


def add_parser(sub: Any) -> None:
    """Register ``compare``."""
    p = sub.add_parser("compare", help="compare policies on a scenario",
                       description="Run several policies on the same scenario and print one "
                                   "table.")
    p.add_argument("--policies", default=None, metavar="a,b,c",
                   help="comma-separated policies (default: every built-in policy but "
                        "MAGMA, whose search takes minutes per run)")
    add_policy_option(p)
    p.add_argument("--with-bound", action="store_true",
                   help="add the exact offline bound (CP-SAT, extra 'exact'; <= 30 requests)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write compare.csv, compare.json and gantt_<policy>.png into DIR")
    add_scenario_options(p)
    add_output_options(p)
    p.set_defaults(handler=main)


def policy_names(spec: str | None) -> list[str]:
    """The policies to compare; refuses unknown names, empty entries and repeated names
    before anything runs."""
    import policies

    known = policies.available()
    if spec is None:
        return [n for n in DEFAULT_POLICIES.split(",") if n in known]
    names = [n.strip() for n in spec.split(",")]
    if not any(names):
        raise PolicyError("--policies is empty, expected a comma-separated list")
    for n in names:
        if not n:
            raise PolicyError(f"--policies {spec!r} has an empty entry, expected a "
                              f"comma-separated list of policies")
        if n not in known:
            raise PolicyError(unknown_name("policy", n, known))
        if names.count(n) > 1:
            raise PolicyError(f"--policies {spec!r} names {n!r} twice")
    return names


def points_from_args(args: argparse.Namespace, names: list[str]) -> list[Point]:
    """One point per policy, each policy created once to check it before anything runs
    (``--checkpoint`` / ``--hidden`` go to RELMAS, and need it in the list)."""
    from mas_sim.runs.experiment import check_point

    if "relmas" not in names:
        for option in ("checkpoint", "hidden"):
            if getattr(args, option, None) is not None:
                raise ConfigError(f"--{option} is for the relmas policy, which --policies "
                                  f"does not include ({', '.join(names)})")
    options = parse_policy_options(args.policy_option, running=names)
    points = [point_from_args(args, name, options) for name in names]
    for point in points:
        check_point(point)
    return points


def table_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The table of the runs as formatted strings; ``SLA pN`` is the SLA rate of priority
    class N; with hit-rate targets, the tenant columns (tenants that met their target, the worst
    hit rate / target, Jain's index of hit rate / target); with a batching policy, the serving
    columns (:data:`SERVING_TABLE`)."""
    def value(r: dict[str, Any], key: str) -> Any:
        if key.startswith("sla_p"):
            return r.get("sla_by_priority", {}).get(key[len("sla_p"):])
        return r.get(key)

    import pandas as pd

    columns = TABLE + (TENANT_TABLE if any("tenants_met" in r for r in rows) else ())
    frame = pd.DataFrame([{h: (f.format(v) if (v := value(r, k)) is not None else "-")
                           for k, h, f in columns} for r in rows])
    if any("utility" in r for r in rows):  # runs with a batching policy: the serving columns
        for key, header, fmt, *scale in SERVING_TABLE:
            frame[header] = [fmt.format(v * (scale[0] if scale else 1))
                             if (v := r.get(key)) is not None else "-" for r in rows]
    return frame


def format_table(rows: list[dict[str, Any]]) -> str:
    """:func:`table_frame` as plain text."""
    return table_frame(rows).to_string(index=False)


def bound_record(args: argparse.Namespace) -> dict[str, Any]:
    """The offline bound of the scenario: ``{"met", "sla_satisfaction", "optimal"}``."""
    from mas_sim.runs.bound import workload_bound
    from mas_sim.workload.scenario import build_workload

    point = point_from_args(args, "fcfs-h")
    system = point.system()
    bound = workload_bound(build_workload(system, point.scenario()), system)
    return {"met": bound.met, "sla_satisfaction": bound.sla_satisfaction,
            "optimal": bound.optimal}


def main(args: argparse.Namespace) -> int:
    """Run every policy, print the table, write what was asked."""
    from mas_sim.runs.experiment import record

    names = policy_names(args.policies)
    points = points_from_args(args, names)
    if args.html:
        check_html_target(args.html)
    check_outputs(args, directory="out", probe="compare.json")
    bound = bound_record(args) if args.with_bound else None  # refuses before anything runs
    out_dir = Path(args.out) if args.out else None
    wants_trace = bool(args.trace or args.chrome_trace or args.gantt or out_dir or args.html)
    runs = []
    results = []
    for name, point in zip(names, points, strict=True):
        result = run_one(point, args, trace=wants_trace)
        runs.append(record(point, result))
        if args.html:
            results.append(result)
        write_outputs(result, args, suffix=name if len(names) > 1 else "")
        if out_dir is not None:
            result.save_gantt(out_dir / f"gantt_{name}.png",
                              title=f"{name} on {scenario_label(args)}")
    print(format_table(runs), file=human(args))
    payload: dict[str, Any] = {"runs": runs, "workload": args.workload, "qos": args.qos,
                               "seed": args.seed}
    if bound is not None:
        payload["offline_bound"] = bound
        print(f"offline bound (no DRAM contention, {'optimal' if bound['optimal'] else 'proven'}"
              f"): {bound['met']} met, SLA {bound['sla_satisfaction']:.1%}", file=human(args))
    if out_dir is not None:
        import pandas as pd

        from mas_sim.core.files import atomic_path

        with atomic_path(out_dir / "compare.csv") as tmp:
            pd.DataFrame([{k: v for k, v in r.items() if not isinstance(v, dict)}
                          for r in runs]).to_csv(tmp, index=False)
        write_json(str(out_dir / "compare.json"), payload)
        print(f"wrote {out_dir}/compare.csv, compare.json and "
              f"{len(names)} Gantt charts", file=human(args))
    if args.json:
        write_json(args.json, payload)
    if args.html:
        write_html(args.html, results, points, table=table_frame(runs),
                   title=f"mas-sim compare: {scenario_label(args)}, {args.requests} "
                         f"requests (seed {args.seed})")
        print(f"wrote {args.html}", file=human(args))
    return 0
