"""Cold start: the window against a bare PySide6 window, measured side by side in one run.

Each round starts two fresh processes, interleaved: (a) a bare PySide6 window (a
``QMainWindow`` holding a ``QTableView`` over an empty model); (b) ws-inspector as the
``ws-inspector`` command starts it (``inspector.cli.main([])``: the one parser, the
display check, :func:`inspector.app.run_window`). Both run offscreen, with a fresh
settings and data folder, and with bytecode caches (a first run writes them).

- **first paint**: from just before the process is spawned (this process's
  ``time.perf_counter``, the same monotonic clock in the child) to the first
  ``QEvent.Paint`` delivered to the main window (an event filter sees it: on the
  application until the main window exists, then on that window alone).
- **CPU time to first paint**: the child's ``time.process_time()`` at that paint
  (less sensitive to other load on a shared machine than the wall clock).
- **idle RSS**: the child's resident set size ``IDLE_S`` after that first paint,
  with the event loop idle.

Reports medians over the rounds, the ratios (b)/(a) and MET / NOT MET for the
targets: first paint <= 1.5x, idle RSS <= 1.3x; then each phase's CPU time and RSS
growth (the command line's imports, PySide6's, the window's code up to the window's
construction, the construction, the paint), to see where the difference lies.
``--importtime`` also prints the slowest imports of (b) (``python -X importtime``),
to see what to load lazily.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

#: What each phase of a start is (from the previous mark to this one).
PHASES = {
    "python": "interpreter start",
    "command line": "import the command line",
    "PySide6": "import PySide6.QtWidgets",
    "QApplication": "make the QApplication",
    "window code": "until the window is constructed",
    "window built": "construct the window, show it",
    "first paint": "lay out and paint",
    "idle": "the next second, idle",
}
TARGET_PAINT = 1.5
TARGET_RSS = 1.3
IDLE_S = 1.0
CHILD_TIMEOUT_S = 60.0

# The child: an event filter on the application notes the first paint of a
# QMainWindow; IDLE_S later it prints the figures and leaves at once (no shutdown:
# what is measured ends at idle).
_CHILD = r"""
import os, sys, time, json

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

MARKS = [("python", time.process_time(), rss())]
def mark(name):
    MARKS.append((name, time.process_time(), rss()))

if sys.argv[1] != "bare":
    # As the command starts: the command line first (no Qt), then the window. Qt's
    # own import order matters (PySide6 inspects the source of each module imported
    # after it), so the parser is imported before PySide6 here too.
    from inspector.cli import main
mark("command line")
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
mark("PySide6")

IDLE_MS = int(float(sys.argv[2]) * 1000)

class FirstPaint(QObject):
    # On the application until the main window's first event (its construction), then
    # on that window alone: a Python filter on every event of every widget costs ~3 us
    # per event (8,000 events while the window is built: ~30 ms that are the
    # benchmark's, not the application's).
    painted = None
    on_window = False
    shown = False
    def eventFilter(self, obj, event):
        if not self.on_window:
            if not isinstance(obj, QMainWindow):
                return False
            # From here on only the window's own events come (its wrapper may be
            # another Python object while it is being constructed).
            self.on_window = True
            mark("window code")  # what ran before the window's construction began
            app.removeEventFilter(self)
            obj.installEventFilter(self)
        kind = event.type()
        if kind == QEvent.Type.Show and not self.shown:
            self.shown = True
            mark("window built")
        elif self.painted is None and kind == QEvent.Type.Paint:
            self.painted = time.perf_counter()
            self.cpu = time.process_time()
            mark("first paint")
            obj.removeEventFilter(self)
            QTimer.singleShot(IDLE_MS, self.report)
        return False
    def report(self):
        mark("idle")
        figures = {"paint": self.painted, "cpu": self.cpu, "rss": rss(), "marks": MARKS}
        sys.stdout.write(json.dumps(figures) + "\n")
        sys.stdout.flush()
        os._exit(0)

app = QApplication([sys.argv[0]])
mark("QApplication")
watcher = FirstPaint()
app.installEventFilter(watcher)
if sys.argv[1] == "bare":
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QTableView
    window = QMainWindow()
    table = QTableView(window)
    table.setModel(QStandardItemModel(0, 10, table))
    window.setCentralWidget(table)
    window.resize(1280, 800)
    window.show()
    app.exec()
else:
    main([])
"""


#: (phase, CPU seconds, RSS bytes) at the end of each phase of a start, in order.
Marks = list[tuple[str, float, int]]


def run_child(kind: str, env: dict[str, str]) -> tuple[float, float, int, Marks]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(IDLE_S)],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"{kind}: no figures (exit {out.returncode}):\n{out.stderr[-2000:]}")
    figures = json.loads(lines[-1])
    marks = [(str(n), float(c), int(r)) for n, c, r in figures["marks"]]
    return figures["paint"] - t0, figures["cpu"], int(figures["rss"]), marks


def child_env(folder: str) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    # As installed (pip writes the bytecode caches): with PYTHONDONTWRITEBYTECODE
    # every start would compile our modules again (~0.14 s measured).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["XDG_CONFIG_HOME"] = os.path.join(folder, "config")
    env["XDG_DATA_HOME"] = os.path.join(folder, "data")
    env["WS_INSPECTOR_DATA_DIR"] = os.path.join(folder, "inspector")
    return env


def slowest_imports(env: dict[str, str], count: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the slowest imports of ``inspector.app``."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import inspector.cli, inspector.app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    rows = []
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def print_phases(marks: dict[str, list[Marks]]) -> None:
    """Where each start spends its CPU time and grows its RSS, phase by phase (the
    median of each phase's share over the rounds)."""
    print("\nphases (CPU ms / RSS growth MiB, medians):")
    print(f"  {'phase':34}{'bare':>18}{'ws-inspector':>18}")
    names = [name for name, _, _ in marks["ours"][0]]
    mib = 1024 * 1024
    for i, name in enumerate(names):
        cells = []
        for kind in ("bare", "ours"):
            cpu = statistics.median(
                (m[i][1] - (m[i - 1][1] if i else 0.0)) * 1000 for m in marks[kind]
            )
            grown = statistics.median(
                (m[i][2] - (m[i - 1][2] if i else 0)) / mib for m in marks[kind]
            )
            cells.append(f"{cpu:8.1f} / {grown:5.1f}")
        print(f"  {PHASES.get(name, name):34}{cells[0]:>18}{cells[1]:>18}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--importtime", action="store_true", help="list the slowest imports")
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float, int, Marks]]] = {"bare": [], "ours": []}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        env = child_env(folder)
        run_child("ours", env)  # warm the file cache (and the settings folder) once
        run_child("bare", env)
        for _ in range(max(1, args.rounds)):
            for kind in ("bare", "ours"):
                results[kind].append(run_child(kind, env))
        imports = slowest_imports(env, 25) if args.importtime else []
    paint = {k: statistics.median(p for p, _, _, _ in v) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, c, _, _ in v) for k, v in results.items()}
    rss = {k: statistics.median(r for _, _, r, _ in v) for k, v in results.items()}
    mib = 1024 * 1024
    print(f"{args.rounds} interleaved rounds, fresh processes, offscreen; medians")
    print(f"{'':24}{'first paint':>14}{'(CPU time)':>13}{'idle RSS':>12}")
    for kind, label in (("bare", "bare PySide6 window"), ("ours", "ws-inspector")):
        print(f"{label:24}{paint[kind]:>12.3f} s{cpu[kind]:>11.3f} s{rss[kind] / mib:>8.1f} MiB")
    pr = paint["ours"] / paint["bare"]
    cr = cpu["ours"] / cpu["bare"]
    rr = rss["ours"] / rss["bare"]
    ok = pr <= TARGET_PAINT and rr <= TARGET_RSS
    print(
        f"ratio: first paint {pr:.2f}x (target <= {TARGET_PAINT}x; by CPU time {cr:.2f}x, "
        f"less sensitive to other load), idle RSS {rr:.2f}x (target <= {TARGET_RSS}x): "
        f"{'MET' if ok else 'NOT MET'}"
    )
    spread = {
        k: (min(p for p, _, _, _ in v), max(p for p, _, _, _ in v)) for k, v in results.items()
    }
    print(
        f"first paint range: bare {spread['bare'][0]:.3f}-{spread['bare'][1]:.3f} s, "
        f"ours {spread['ours'][0]:.3f}-{spread['ours'][1]:.3f} s"
    )
    print_phases({k: [m for *_, m in v] for k, v in results.items()})
    if imports:
        print("\nslowest imports of inspector.cli + inspector.app (cumulative):")
        for us, name in imports:
            print(f"  {us / 1000:8.1f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
