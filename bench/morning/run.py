"""One morning: the visitor, feedback and clerk threads beside the browser windows until
everyone is served or gone, then what the pages show at the end."""

import sys
import threading
import time
from typing import Any

from .clerks import api_clerk
from .clients import Api, Morning
from .scenario import HOUR, MAX_SIM_HOURS
from .visitors import feedback_giver, visitors
from .windows import BrowserClerk, open_windows, screenshots, supervisor_totals


def quiet(m: Morning, api: Api, clerk: BrowserClerk) -> bool:
    """Every arrival made, nobody waiting or at a counter, and all feedback given."""
    if not m.arrivals_done.is_set() or not clerk.idle or m.feedback.unfinished_tasks:
        return False
    status, data, _s, _r = api.request("GET", f"/branches/{m.accounts.branch_id}/queue", "queue")
    return (
        status == 200
        and data["waiting"] == 0
        and all(c["current_ticket"] is None for c in data["counters"])
    )


def guarded(m: Morning, target: Any, *args: Any) -> threading.Thread:
    """A daemon thread whose crash is recorded (and ends the run as a failure)."""

    def run() -> None:
        try:
            target(m, *args)
        except Exception:  # reported in the checks
            import traceback

            m.log.add("unexpected", f"{target.__name__} crashed: {traceback.format_exc()}")
            print(traceback.format_exc(), file=sys.stderr, flush=True)
            m.crashed.set()

    return threading.Thread(target=run, name=target.__name__, daemon=True)


def run_morning(m: Morning, database: str) -> dict[str, Any]:
    from layani.testing.browser import CHROMIUM_PATH, ChromiumSession

    chromium = ChromiumSession(CHROMIUM_PATH)  # launches with layani.testing.browser's flags
    try:
        windows = open_windows(m, chromium)
        clerk = BrowserClerk(m, windows.counter)
        watcher = Api(m.base_url, m.accounts.supervisor[1], m.log)
        threads = [guarded(m, visitors), guarded(m, feedback_giver)]
        threads += [guarded(m, api_clerk, i) for i in range(5)]
        m.t0 = time.time()
        for thread in threads:
            thread.start()
        shots: dict[str, list[str]] = {}
        progress: list[dict[str, Any]] = []
        next_progress, next_quiet_check = 0.0, 0.0
        while True:
            clerk.step()
            sim = m.sim_now()
            for label, share in (("25pct", 0.25), ("50pct", 0.5)):
                if label not in shots and sim >= share * HOUR:
                    shots[label] = screenshots(windows, label, database)
            if sim >= next_progress:
                totals = supervisor_totals(windows.supervisor)
                progress.append({"sim_minutes": round(sim / 60), **totals})
                print(
                    f"  {sim / 60:5.1f} min: checked in {len(m.log.check_ins)}, "
                    f"waiting {totals.get('waiting')}, served {totals.get('served')}, "
                    f"MAE {totals.get('estimateErrorSeconds') or '-'} s "
                    f"(n={totals.get('estimatesJudged')})",
                    flush=True,
                )
                next_progress += 600
            if time.time() >= next_quiet_check:
                next_quiet_check = time.time() + 0.5
                if quiet(m, watcher, clerk) or sim > MAX_SIM_HOURS * HOUR or m.crashed.is_set():
                    break
            windows.counter.wait_for_timeout(50)
        finished_sim = m.sim_now()
        m.done.set()
        for thread in threads:
            thread.join(timeout=30)
        windows.display.wait_for_timeout(3000)  # the last pushes and htmx refreshes land
        read_at = time.time()
        shots["end"] = screenshots(windows, "end", database)
        page_state = {
            "applied": windows.display.evaluate("window.layaniApplied"),
            "announcements": windows.display.evaluate("window.layaniAnnouncementLog"),
            "links": windows.display.evaluate("window.benchLinks"),
            "display_calls_applied": windows.display.evaluate("document.body.dataset.callsApplied"),
            "supervisor": supervisor_totals(windows.supervisor),
            "supervisor_rows": windows.supervisor.evaluate(
                "[...document.querySelectorAll('#service-table tbody tr')]"
                ".map(r => ({...r.dataset}))"
            ),
            "server_errors": windows.server_errors,
            "console_errors": windows.console_errors,
            "page_requests": dict(windows.page_requests.most_common()),
        }
        windows.supervisor.reload()
        page_state["supervisor_reloaded"] = supervisor_totals(windows.supervisor)
    finally:
        chromium.close()
    return {
        "shots": shots,
        "progress": progress,
        "finished_sim": finished_sim,
        "read_at": read_at,
        **page_state,
    }
