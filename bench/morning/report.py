"""The printed summary of a run and its checks."""

from typing import Any


def report(
    checks: list[tuple[str, bool, str]], numbers: dict[str, Any], database: str, realtime: str
) -> None:
    n = numbers
    print(
        f"\nBusy morning on {database} ({realtime}), speed x{n['speed']}: "
        f"drained after {n['finished_after_sim_minutes']} simulated minutes"
    )
    print(
        f"  check-ins {n['check_ins']} (remote {n['remote_joins']}, known customers "
        f"{n['known_customers']}, new phones {n['new_phones']}, priority {n['priority']}); "
        f"calls {n['calls']} (browser {n['browser_calls']}, out of order "
        f"{n['out_of_order_calls']}), recalls {n['recalls']}, transfers {n['transfers']}; "
        f"final {n['statuses']}"
    )
    print(
        f"  waits: mean {n['mean_wait_real_minutes']} min, p95 {n['p95_wait_real_minutes']} "
        f"min; estimates: mean {n['mean_estimate_real_minutes']} min, MAE "
        f"{n['mae_real_minutes']} min (page: {n['mae_seconds_compressed']} s compressed x"
        f"{n['speed']:g}), mean signed error {n['mean_signed_error_real_minutes']} min, "
        f"n={n['estimates_judged']}"
    )
    dx = n["diagnosis"]
    print(
        f"  estimator's service time {dx['estimator_service_seconds_real']} s vs counter taken "
        f"per visit {dx['counter_taken_seconds_real']} s; a whole-branch estimate would have "
        f"MAE {dx['whole_branch_mae_real_minutes']} min (signed "
        f"{dx['whole_branch_signed_real_minutes']}); arrivals late by at most "
        f"{n['arrival_lag_sim_seconds_max']} simulated s"
    )
    for code, row in n["per_service"].items():
        print(
            f"    {code:10s} n={row['n']:3d} wait {row['mean_wait_min']:5.1f} est "
            f"{row['mean_estimate_min']:5.1f} MAE {row['mae_min']:5.1f} min"
        )
    for kind, row in n["api_ms"].items():
        print(f"  {kind:18s} n={row['n']:4d} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms")
    d = n["display_latency_ms"]
    print(
        f"  display: call response -> screen p50 {d['after_response_p50']} ms, p95 "
        f"{d['after_response_p95']} ms; request sent -> screen p50 {d['after_request_p50']} "
        f"ms, p95 {d['after_request_p95']} ms, max {d['max_after_request']} ms; "
        f"announcements {n['announcements']}"
    )
    print(
        f"  feedback {n['feedback']}; outbox {n['outbox']}; empty call-next "
        f"{n['empty_call_next']}; load average {n['load_average']}\n  browser requests "
        f"{n['browser_requests']}"
    )
    print("\nChecks:")
    for name, ok, detail in checks:
        print(f"  [{'ok' if ok else 'FAIL'}] {name}: {detail}")
