"""Profile one contender's server process under load with py-spy; print where time goes.

    python bench/pyspy.py tgserve-plain [--updates 6000] [--connections 40]

Needs ``py-spy`` (``pip install py-spy``). Prints the top functions by own samples and
by inclusive samples, and the share spent inside tgserve's own modules.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
from procs import Server
from run import CONTENDERS, Stub, load


def frame_name(frame: str) -> str:
    name, _, where = frame.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 2)[-2:][-1]})" if where else name


def summarize(raw: Path, top: int) -> None:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = [frame_name(f) for f in stack.split(";")]
        own[frames[-1]] += n
        for name in set(frames):
            inclusive[name] += n
    print(f"{total} samples\n-- own time")
    for name, n in own.most_common(top):
        print(f"{n / total:6.1%}  {name}")
    print("-- inclusive")
    for name, n in inclusive.most_common(top * 2):
        print(f"{n / total:6.1%}  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("contender", choices=[c.name for c in CONTENDERS])
    parser.add_argument("--updates", type=int, default=6000)
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install py-spy")
    contender = next(c for c in CONTENDERS if c.name == args.contender)
    loadgen.use_uvloop()
    workdir = Path(tempfile.mkdtemp(prefix="tgserve-profile-"))
    raw = workdir / "profile.raw"
    with open(workdir / "servers.log", "wb") as log:
        stub = Stub(log)
        stub.server.wait_ready()
        server = Server(contender.script, list(contender.args), stub.url, log)
        try:
            server.wait_ready()
            load(server.port, 200, 10, first_id=800_000_000)
            command = [spy, "record", "-p", str(server.pid), "-f", "raw", "-o", str(raw),
                       "-r", "200", "--nonblocking"]  # fmt: skip
            recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
            threading.Event().wait(1.0)
            result = load(server.port, args.updates, args.connections)
            received, _ = stub.wait_replies(result.ok + 200, 3.0, 60.0)
            print(f"ack {result.rate:.0f}/s, p99 {result.percentile(99) * 1000:.1f} ms, "
                  f"{received} replies")  # fmt: skip
            recorder.send_signal(2)
            recorder.wait(30)
        finally:
            server.stop()
            stub.server.stop()
    summarize(raw, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
