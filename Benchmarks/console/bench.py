"""The console's vehicle layer under a synthetic fleet in headless Chromium (Debian's), against
the Leaflet.markercluster baseline, in the same run. No server: the page's files are answered by
Playwright from Web/, Benchmarks/console/ and Debian's Leaflet, under a 127.0.0.1 origin.
Usage: Deploy/console-bench.sh [--vehicles 5000] [--minutes 10] [--baseline-minutes 1] [--zoom 12]"""

import argparse
import mimetypes
import os
import statistics
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[2]
ORIGIN = "http://127.0.0.1:18999"
FOLDERS = {
    "/console/": REPO / "Web",
    "/vendor/leaflet/": Path("/usr/share/javascript/leaflet"),
    "/bench/": REPO / "Benchmarks" / "console",
}
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def serve(route):
    path = route.request.url[len(ORIGIN):].split("?")[0]
    for prefix, folder in FOLDERS.items():
        if path.startswith(prefix):
            file = folder / path[len(prefix):]
            if file.is_file():
                kind = "text/javascript" if file.suffix == ".js" else mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                return route.fulfill(status=200, body=file.read_bytes(), headers={"Content-Type": kind})
    return route.fulfill(status=404, body="not found")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def sample(cdp):
    """The live JS heap after a full collection (what is retained, not what awaits the
    collector), in MB, and the main thread's CPU seconds so far (ThreadTime: time on a core,
    which a busy machine's other processes do not inflate, unlike the wall clock) with the time."""
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["JSHeapUsedSize"] / 1e6, metrics["ThreadTime"], metrics["Timestamp"]


def cpu(earlier, later):
    """Main-thread CPU milliseconds per second of wall time between two samples."""
    return (later[1] - earlier[1]) / (later[2] - earlier[2]) * 1000


def run(browser, layer, vehicles, minutes, zoom):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.route(lambda url: True, serve)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(f"{ORIGIN}/bench/bench.html?layer={layer}&vehicles={vehicles}&zoom={zoom}")
    page.wait_for_function("window.bench && window.bench.ready", timeout=120_000)
    first = page.evaluate("window.bench.firstRenderMs")
    samples = [sample(cdp)]
    print(f"  {layer}: first render {first:.0f} ms, heap {samples[0][0]:.1f} MB", flush=True)
    for minute in range(1, minutes + 1):
        time.sleep(60)
        samples.append(sample(cdp))
        done = page.evaluate("window.bench.updates.length")
        print(f"  {layer}: minute {minute}: {done} updates, heap {samples[-1][0]:.1f} MB,"
              f" main thread CPU {cpu(samples[-2], samples[-1]):.1f} ms/s, load average {os.getloadavg()[0]:.1f}", flush=True)
    updates = page.evaluate("window.bench.updates")
    long_tasks = page.evaluate("window.bench.longTasks")
    ticks = page.evaluate("window.bench.ticks")
    context.close()
    assert not errors, f"{layer}: page errors {errors}"
    return {
        "layer": layer, "first": first, "updates": updates, "long": long_tasks, "heaps": [h for h, _, _ in samples],
        "cpu": cpu(samples[0], samples[-1]) if len(samples) > 1 else None, "harness": statistics.mean(ticks) if ticks else 0,
        "p50": statistics.median(updates), "p99": percentile(updates, 99), "max": max(updates),
    }


def report(result, minutes):
    heaps = result["heaps"]
    flat = abs(heaps[-1] - heaps[1]) <= 0.10 * heaps[1] if len(heaps) > 2 else None
    long = result["long"]
    print(f"{result['layer']:8} first render {result['first']:7.0f} ms | update p50 {result['p50']:6.2f} ms  p99 {result['p99']:6.2f} ms"
          f"  max {result['max']:6.2f} ms over {len(result['updates'])} s | main thread CPU {result['cpu']:.1f} ms/s"
          f" (the harness's batch {result['harness']:.1f} ms/s of it) | long tasks {len(long)}"
          f"{f' (max {max(long):.0f} ms)' if long else ''} | heap MB {' '.join(f'{h:.1f}' for h in heaps)}"
          f"{'' if flat is None else ' (flat)' if flat else ' (NOT flat)'}")
    return flat


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vehicles", type=int, default=5000)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--baseline-minutes", type=int, default=1)
    parser.add_argument("--zoom", type=int, default=12)
    arguments = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        print(f"{arguments.vehicles} vehicles moving every second, zoom {arguments.zoom}, 1440x900, headless {browser.version},"
              f" {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
        canvas = run(browser, "canvas", arguments.vehicles, arguments.minutes, arguments.zoom)
        baseline = run(browser, "cluster", arguments.vehicles, arguments.baseline_minutes, arguments.zoom)
        browser.close()
    print()
    flat = report(canvas, arguments.minutes)
    report(baseline, arguments.baseline_minutes)
    print(f"baseline / canvas: first render x{baseline['first'] / canvas['first']:.1f}, update p50 x{baseline['p50'] / canvas['p50']:.1f},"
          f" p99 x{baseline['p99'] / canvas['p99']:.1f}, max x{baseline['max'] / canvas['max']:.1f}")
    within = canvas["first"] <= 1000 and canvas["p99"] <= 16 and flat is not False
    print("canvas layer within the targets (first render <= 1 s, p99 update <= 16 ms, heap flat):", "yes" if within else "NO")
    raise SystemExit(0 if within else 1)


if __name__ == "__main__":
    main()
