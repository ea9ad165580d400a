"""Load: 20 concurrent browser sessions on one app server go explore -> council -> export.

Issue 5: "20 concurrent headless-browser sessions on one app server each go explore -> council
-> export; all complete; report p50/p95 interaction latency and server memory; data caches are
shared, not copied per session."

One ``streamlit run app.py`` on a free localhost port (the store in ``data/cache/current`` is
used as it is, never rebuilt). Headless Chromium (Playwright, async API): each session is its
own browser context and

1. ``explore``: opens ``/?page=explore`` until the national map's canvas is painted inside the
   streamlit-folium iframe;
2. ``council``: opens ``/?page=council&council=<code>`` until the council's LSOA map is painted;
3. ``pack ready``: from then until the "council pack" download button is shown (the page builds
   the zip, ``st.cache_data`` per council, before it shows the button);
4. ``export``: clicks the button until the download is saved; the file must be a zip holding
   a ``.geojson``.

The browsers run on the server's 2 cores here, whereas each user's browser would run on their own
machine; two settings keep them from taking the cores the server needs: contexts prefer reduced
motion (a page waiting for the server otherwise animates Streamlit's running indicator and
skeletons, ~0.1 core each, i.e. 2 cores for 20 pages; measured with the server paused), and the
map checks are cheap and polled every 250 ms. The server runs without its file watcher (as in
production; other work in the repository would otherwise flood it). The CPU time of the server and
of the browser are printed so the two can be told apart.

Baseline, measured in the same run: the same steps with ONE session alone, before the 20. A
warm-up session first (untimed; a council outside the list) loads what every session shares
(boundaries, tables, the national map's data), so that the baseline is not the server's cold
start. The baseline's council is the first of :data:`COUNCILS`; the 20 sessions take the
councils round-robin, so 9 of the 10 packs are built under load (once each: the second session
on a council waits for the same cache entry).

Server memory: resident set size (VmRSS of the server and its children, from ``/proc``) after
startup, after the warm-up, after the single session and after the 20; the per-session
increment ``(rss_after_20 - rss_after_1) / 19`` is small when data caches are shared
(``st.cache_data`` / ``st.cache_resource``) rather than copied per session.

For the explore and council pages, the server's side is timed too: from the navigation until
the browser receives the end of the page's script run (Streamlit's ``script_finished``).

Usage: ``python -m bench load`` or
``python bench/bench_load.py [--sessions 20] [--timeout 240] [--ramp 0]``. Every wait has a timeout; a timeout or an error is reported as a failed session, never a hang.
The server is always stopped at the end. Only 127.0.0.1 is contacted (Chromium resolves no
other host name); a request to any other address fails its session.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench._timing import report  # noqa: E402
from scripts.browser import ARGS as BROWSER_ARGS  # noqa: E402
from scripts.browser import CHROMIUM  # noqa: E402

#: The tests' flags, and one more: every host name but 127.0.0.1 unresolvable, so that no
#: traffic leaves the machine.
ARGS = [*BROWSER_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
DATA = "/work/shared/data"
FRAME = "iframe[src*='streamlit_folium']"  # maps name their frames (issue 11)
STEPS = ("explore_server", "explore", "council_server", "council", "pack_ready", "export")
STEP_NAMES = {"explore_server": "explore: server script run done",
              "explore": "explore: national map drawn",
              "council_server": "council: server script run done",
              "council": "council: LSOA map drawn",
              "pack_ready": "council pack button shown",
              "export": "export: click -> zip saved"}

#: Default timeout of every wait (s). Processor sharing: 20 sessions arriving at once on 2 cores
#: all finish their first page at about the same time, after roughly 20 times the work of one.
TIMEOUT = 240.0

#: English LAD24 codes, taken round-robin by the sessions.
COUNCILS = (
    "E08000032",  # Bradford
    "E08000025",  # Birmingham
    "E06000009",  # Blackpool
    "E08000003",  # Manchester
    "E09000030",  # Tower Hamlets
    "E06000002",  # Middlesbrough
    "E07000117",  # Burnley
    "E08000012",  # Liverpool
    "E06000018",  # Nottingham
    "E08000019",  # Sheffield
)
WARMUP_COUNCIL = "E06000001"  # Hartlepool: not in COUNCILS

#: How often a page is checked for a painted map (ms). 20 pages poll at once on the server's
#: cores, so each check is cheap: it reads a small copy of the canvas instead of counting every
#: pixel of it as tests/test_browser.py does.
POLL_MS = 250

#: Share of the map's canvas painted (0 to 1), read from a copy scaled down to 160 px wide:
#: Leaflet's canvas renderer draws every polygon on one canvas.
PAINTED = """() => {
    const c = document.querySelector('canvas.leaflet-zoom-animated');
    if (!c || !c.width || !c.height) return 0;
    const w = 160, h = Math.max(1, Math.round(160 * c.height / c.width));
    const small = document.createElement('canvas');
    small.width = w; small.height = h;
    const ctx = small.getContext('2d');
    ctx.drawImage(c, 0, 0, w, h);
    const d = ctx.getImageData(0, 0, w, h).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n / (w * h);
}"""
#: A map counts as drawn when this share of its canvas is painted (the national map of England's
#: councils and a council's LSOAs both paint far more; an empty canvas paints nothing).
MIN_PAINTED = 0.005


# ----------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(log: Path, *, timeout: float = 90.0) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app.py`` on a free port and wait until it is healthy."""
    port = _free_port()
    exe = REPO / ".venv" / "bin" / "streamlit"
    launcher = [str(exe)] if exe.exists() else [sys.executable, "-m", "streamlit"]
    cmd = [*launcher, "run", "app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    env = {**os.environ, "OPPMAP_DATA": DATA, "PYTHONPATH": str(REPO)}
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    _stop_server(proc)
    raise RuntimeError(f"streamlit did not answer on {url} within {timeout:.0f} s; see {log}")


def _stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            out.extend(kids)
            todo.extend(kids)
    return out


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def server_rss_mb(pid: int) -> float:
    """Resident memory of the server process and its children, in MB."""
    return sum(_status_kb(p, "VmRSS") for p in [pid, *_children(pid)]) / 1024


def tree_cpu_s(pid: int, *, exclude: int | None = None) -> float:
    """CPU time (user + system) used so far by ``pid`` and its descendants, in s.

    Includes descendants that have exited and been waited for (their parents' cutime and
    cstime); the subtree rooted at ``exclude`` is left out.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    skip = set() if exclude is None else {exclude, *_children(exclude)}
    total = 0
    for p in [pid, *_children(pid)]:
        if p in skip:
            continue
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def machine_busy_s() -> float:
    """CPU time used by everything on the machine so far (all cores, not idle or iowait), in s."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def server_peak_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of the server process itself, in MB."""
    return _status_kb(pid, "VmHWM") / 1024


# ----------------------------------------------------------------------------- one session


async def _map_drawn(page, *, index: int = 0) -> float:
    """Wait until the index-th map iframe has painted its polygons; return the painted share.

    Streamlit replaces the iframe when the map changes, so a frame detached while we wait is
    looked up again (a bounded number of times).
    """
    from playwright.async_api import Error

    for _attempt in range(6):
        try:
            loc = page.locator(FRAME).nth(index)
            await loc.wait_for()
            frame = await (await loc.element_handle()).content_frame()
            if frame is None:
                raise Error("iframe detached")
            await frame.wait_for_selector("canvas.leaflet-zoom-animated", state="attached")
            handle = await frame.wait_for_function(
                f"() => {{ const s = ({PAINTED})(); return s > {MIN_PAINTED} ? s : 0; }}",
                polling=POLL_MS)
            return float(await handle.json_value())
        except Error as exc:
            if "detached" not in str(exc) and "destroyed" not in str(exc):
                raise
            await page.wait_for_timeout(300)
    raise RuntimeError("the map iframe kept being replaced")


def _watch_server(page, sent: list[int], finished: list[float]) -> None:
    """Count the messages the page sends the server (rerun requests, widget values) and time
    each end of a script run (Streamlit's ``script_finished`` message) that it receives."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    def received(payload) -> None:
        if len(payload) > 200:  # script_finished is a few dozen bytes; skip parsing the rest
            return
        try:
            msg = ForwardMsg.FromString(payload if isinstance(payload, bytes) else payload.encode())
        except Exception:  # noqa: BLE001 - not a ForwardMsg: not ours to time
            return
        if msg.WhichOneof("type") == "script_finished":
            finished.append(time.perf_counter())

    def attach(ws) -> None:
        ws.on("framesent", lambda _f: sent.__setitem__(0, sent[0] + 1))
        ws.on("framereceived", received)

    page.on("websocket", attach)


async def _server_done(finished: list[float], since: float, *, timeout: float) -> float:
    """Seconds from ``since`` to the first script run that ended after it."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        later = [t for t in finished if t >= since]
        if later:
            return later[0] - since
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no script run ended within {timeout:.0f} s")


async def run_session(browser, url: str, code: str, *, timeout: float) -> dict:
    """explore -> council -> pack ready -> export in a fresh browser context.

    Returns ``{"code", "times": {step: seconds}, "error": str | None, "zip": [names], "sent":
    {step: messages}, "painted": {step: share}}``. ``explore_server`` and ``council_server``
    time the server's side of a page: from the navigation to the end of its first script run.
    """
    result: dict = {"code": code, "times": {}, "error": None, "zip": [], "sent": {},
                    "painted": {}}
    context = await browser.new_context(viewport={"width": 1400, "height": 1100},
                                        accept_downloads=True, reduced_motion="reduce")
    outside: list[str] = []
    page = await context.new_page()
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((url, "data:", "blob:", "about:")) else None)
    failed_responses: list[str] = []
    page.on("response", lambda r: failed_responses.append(f"HTTP {r.status} {r.url[len(url):]}")
            if r.status >= 400 else None)
    sent, finished = [0], []
    _watch_server(page, sent, finished)
    page.set_default_timeout(timeout * 1000)
    times = result["times"]
    step = "explore"
    try:
        for step, path in (("explore", "/?page=explore"),
                           ("council", f"/?page=council&council={code}")):
            t = time.perf_counter()
            await page.goto(url + path)
            result["painted"][step] = await _map_drawn(page)
            times[step] = time.perf_counter() - t
            times[f"{step}_server"] = await _server_done(finished, t, timeout=timeout)
            result["sent"][step], sent[0] = sent[0], 0

        step = "pack_ready"
        t = time.perf_counter()
        button = page.get_by_role("button", name=re.compile("council pack", re.IGNORECASE))
        await button.wait_for()
        times["pack_ready"] = time.perf_counter() - t

        step = "export"
        t = time.perf_counter()
        async with page.expect_download() as info:
            await button.click()
        download = await info.value
        failure = await download.failure()
        if failure:
            raise RuntimeError(f"download failed ({failure})")
        path = await download.path()
        times["export"] = time.perf_counter() - t
        result["sent"]["export"], sent[0] = sent[0], 0
        with zipfile.ZipFile(io.BytesIO(Path(path).read_bytes())) as zf:
            result["zip"] = zf.namelist()
        if not any(n.endswith(".geojson") for n in result["zip"]):
            raise RuntimeError(f"the pack holds no .geojson: {result['zip']}")
        if outside:
            raise RuntimeError(f"requests left the machine: {outside[:3]}")
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none hangs the run
        text = " ".join(str(exc).split())[:300]
        result["error"] = f"{step}: {type(exc).__name__}: {text}"
        if failed_responses:
            result["error"] += f" | failed responses: {', '.join(failed_responses[:3])}"
        try:
            body = await page.locator("[data-testid='stException']").all_inner_texts()
            if body:
                result["error"] += " | page exception: " + " ".join(body[0].split())[:300]
        except Exception:  # noqa: BLE001
            pass
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(context.close(), timeout=30)
    return result


async def _bounded(browser, url: str, code: str, *, timeout: float, delay: float = 0.0) -> dict:
    """A session with an overall deadline: 1.5 times one wait's timeout plus a minute."""
    await asyncio.sleep(delay)
    try:
        return await asyncio.wait_for(run_session(browser, url, code, timeout=timeout),
                                      timeout=1.5 * timeout + 60)
    except TimeoutError:
        return {"code": code, "times": {}, "error": "session deadline exceeded", "zip": [],
                "sent": {}, "painted": {}}


# ----------------------------------------------------------------------------- report


def _quantile(values: list[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default) of a non-empty list."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def step_stats(results: list[dict]) -> dict[str, dict[str, float]]:
    """p50 / p95 / max (seconds) and n per step over the sessions that reached the step."""
    out = {}
    for step in STEPS:
        xs = [r["times"][step] for r in results if step in r["times"]]
        if xs:
            out[step] = {"n": len(xs), "p50": statistics.median(xs),
                         "p95": _quantile(xs, 0.95), "max": max(xs)}
    return out


def _print_failures(label: str, results: list[dict]) -> None:
    failed = [r for r in results if r["error"]]
    print(f"{label}: {len(results) - len(failed)}/{len(results)} sessions completed")
    for r in failed:
        print(f"  FAILED {r['code']}: {r['error']}")


# ----------------------------------------------------------------------------- main


def _cpu(server: int, *, since: dict | None = None, wall: float = 0.0) -> dict:
    """CPU seconds of the server, of this process and the browser, and of the whole machine."""
    now = {"server": tree_cpu_s(server),
           "client": tree_cpu_s(os.getpid(), exclude=server),
           "machine": machine_busy_s()}
    if since is None:
        return now
    return {**{k: now[k] - since[k] for k in now}, "wall": wall}


async def _run(url: str, pid: int, *, sessions: int, timeout: float, ramp: float) -> dict:
    from playwright.async_api import async_playwright

    memory = {"startup": server_rss_mb(pid)}
    cpu = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            t = time.perf_counter()
            warm = await _bounded(browser, url, WARMUP_COUNCIL, timeout=timeout)
            warm_s = time.perf_counter() - t
            memory["after_warmup"] = server_rss_mb(pid)

            c0 = _cpu(pid)
            t = time.perf_counter()
            single = [await _bounded(browser, url, COUNCILS[0], timeout=timeout)]
            cpu["single"] = _cpu(pid, since=c0, wall=time.perf_counter() - t)
            memory["after_1"] = server_rss_mb(pid)

            codes = [COUNCILS[i % len(COUNCILS)] for i in range(sessions)]
            c0 = _cpu(pid)
            t = time.perf_counter()
            many = await asyncio.gather(*(
                _bounded(browser, url, c, timeout=timeout, delay=i * ramp / sessions)
                for i, c in enumerate(codes)))
            cpu["many"] = _cpu(pid, since=c0, wall=time.perf_counter() - t)
            memory[f"after_{sessions}"] = server_rss_mb(pid)
            memory["peak"] = server_peak_mb(pid)
        finally:
            await browser.close()
    return {"warmup": warm, "warmup_s": warm_s, "single": single, "many": list(many),
            "cpu_s": cpu, "memory_mb": memory}


def _print_report(run: dict, n: int) -> tuple[dict, dict, float]:
    """Print the comparison; return the step statistics (1 and n sessions) and MB per session."""
    mem = run["memory_mb"]
    if run["warmup"]["error"]:
        print(f"warm-up ({WARMUP_COUNCIL}) FAILED: {run['warmup']['error']}")
    else:
        print(f"warm-up session ({WARMUP_COUNCIL}, untimed): {run['warmup_s']:.1f} s")
    _print_failures("1 session", run["single"])
    _print_failures(f"{n} concurrent sessions", run["many"])
    for label, key, k in (("1 session alone", "single", 1),
                          (f"{n} concurrent sessions", "many", n)):
        c = run["cpu_s"][key]
        print(f"{label}: wall {c['wall']:.1f} s; CPU-s (per session) server {c['server']:.1f} "
              f"({c['server'] / k:.2f}), browser+driver {c['client']:.1f} "
              f"({c['client'] / k:.2f}), whole machine {c['machine']:.1f} "
              f"= {c['machine'] / c['wall']:.2f} of {os.cpu_count()} cores busy")
    first = run["single"][0]
    print("1 session: messages sent by the browser to the server per step: "
          + ", ".join(f"{k} {v}" for k, v in first["sent"].items())
          + "; share of the map canvas painted: "
          + ", ".join(f"{k} {v:.0%}" for k, v in first["painted"].items())
          + f"; pack entries: {', '.join(first['zip'])}")

    one, many = step_stats(run["single"]), step_stats(run["many"])
    print(f"latency per step (value = {n} concurrent, baseline = 1 session alone):")
    for step in STEPS:
        if step not in many or step not in one:
            print(f"  {STEP_NAMES[step]}: not reached (1 session: {step in one}, "
                  f"{n} sessions: {step in many})")
            continue
        for q in ("p50", "p95"):
            report(f"  {STEP_NAMES[step]} {q}", many[step][q], one[step][q])
        print(f"    (max of {many[step]['n']} sessions {many[step]['max']:.2f} s)")
    journey = ("explore", "council", "pack_ready", "export")
    totals = [sum(r["times"][k] for k in journey) for r in run["many"] if not r["error"]]
    single_total = 0.0 if first["error"] else sum(first["times"][k] for k in journey)
    if totals:
        report("  whole journey p50", statistics.median(totals), single_total)
        report("  whole journey p95", _quantile(totals, 0.95), single_total)

    per_session = (mem[f"after_{n}"] - mem["after_1"]) / (n - 1)
    print("server memory (RSS of the streamlit process and its children):")
    print(f"  after startup            {mem['startup']:8.1f} MB")
    print(f"  after warm-up session    {mem['after_warmup']:8.1f} MB")
    print(f"  after 1 session          {mem['after_1']:8.1f} MB")
    print(f"  {f'after {n} sessions':24s} {mem[f'after_{n}']:8.1f} MB   "
          f"(peak of the server process {mem['peak']:.1f} MB)")
    print(f"  per extra session        {per_session:8.1f} MB   "
          f"((after_{n} - after_1) / {n - 1})")
    return one, many, per_session


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per wait")
    parser.add_argument("--ramp", type=float, default=0.0,
                        help="seconds over which the concurrent sessions start (0: all at once)")
    args = parser.parse_args([] if argv is None else argv)
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}: install it (scripts/install_browser.sh)")
    if args.sessions < 2:
        sys.exit(f"--sessions must be at least 2, got {args.sessions}")

    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    log = out / "bench_load_streamlit.log"
    t0 = time.perf_counter()
    proc, url = _start_server(log)
    try:
        run = asyncio.run(_run(url, proc.pid, sessions=args.sessions, timeout=args.timeout,
                               ramp=args.ramp))
    finally:
        _stop_server(proc)
    print(f"server {url}, pid {proc.pid}; {args.sessions} Chromium contexts in one browser, "
          f"started {'at once' if not args.ramp else f'over {args.ramp:.0f} s'}; "
          f"{os.cpu_count()} cores shared by the server, the browser and anything else running")
    one, many, per_session = _print_report(run, args.sessions)
    print(f"total benchmark time {time.perf_counter() - t0:.1f} s; server log {log}")

    results = {"sessions": args.sessions, "timeout_s": args.timeout, "ramp_s": args.ramp,
               "single": one, "concurrent": many, "cpu_s": run["cpu_s"],
               "completed": sum(not r["error"] for r in run["many"]),
               "failures": [{"code": r["code"], "error": r["error"]}
                            for r in run["single"] + run["many"] if r["error"]],
               "memory_mb": run["memory_mb"], "per_session_mb": per_session}
    (out / "bench_load.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
