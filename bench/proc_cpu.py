"""CPU seconds of this process's descendants, by role, sampled from /proc (Linux only).

A thread reads every descendant's utime+stime a few times a second and keeps the last value
seen per process, so processes that exit between samples lose at most one interval. Roles:
``web`` (a `dam serve` child holding the listening socket), ``worker`` (any other child of `dam
serve` or `dam worker`), ``serve`` / ``ingest`` (the `dam serve` and `dam ingest` processes
themselves) and ``client`` (everything else: the benchmark's own processes, this one included).
What processes had used before start() is not counted.
"""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, CPU seconds, threads) of ``pid``, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, int(fields[17])


def _listening_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    return inodes


def _listens(pid: int, inodes: set[str]) -> bool:
    """Whether ``pid`` holds a listening socket (a web process: workers do not get it)."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return any(link.startswith("socket:[") and link[8:-1] in inodes for link in links)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


class CpuSampler:
    """Samples in a thread between start() and stop(); totals() sums the last value per pid."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.seen: dict[int, tuple[str, float]] = {}
        self.baseline: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._self_start = self._own()

    @staticmethod
    def _own() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> CpuSampler:
        """Processes running now count from here on (their start-up is not the work)."""
        self.sample()
        self.baseline = {pid: cpu for pid, (_, cpu) in self.seen.items()}
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self.sample()
        return self.totals()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        me = os.getpid()
        stats: dict[int, tuple[int, float, int]] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
                stats[int(entry.name)] = stat
        for pid, (_, cpu, _) in stats.items():
            role = self._role(pid, stats, me)
            if role is not None:
                self.seen[pid] = (role, cpu)

    def _role(self, pid: int, stats: dict[int, tuple[int, float, int]], me: int) -> str | None:
        if pid in self.seen and self.seen[pid][0] != "worker":
            return self.seen[pid][0]  # a "worker" may be a web process still starting
        chain, parent = [pid], stats[pid][0]
        while parent not in (me, 0, 1) and parent in stats:
            chain.append(parent)
            parent = stats[parent][0]
        if parent != me or pid == me:
            return None
        commands = [_cmdline(p) for p in chain]
        if "main()" not in " ".join(commands):  # not a `dam` command: ours (photographers...)
            return "client"
        if len(chain) == 1:
            command = commands[0]
            return "serve" if " serve " in command else "ingest" if " ingest " in command \
                else "worker"
        top = commands[-1]
        if " serve " in top and _listens(pid, _listening_inodes()):
            return "web"
        return "worker"

    def totals(self) -> dict[str, float]:
        out: dict[str, float] = {"client": self._own() - self._self_start}
        for pid, (role, cpu) in self.seen.items():
            out[role] = out.get(role, 0.0) + cpu - self.baseline.get(pid, 0.0)
        return {role: round(cpu, 1) for role, cpu in sorted(out.items())}
