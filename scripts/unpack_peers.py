"""Unpack examples/ and the licence file of a downloaded sdist into a directory.

Usage: python scripts/unpack_peers.py SDIST_DIR DIST VERSION TARGET
"""

from __future__ import annotations

import re
import sys
import tarfile
from pathlib import Path

LICENCE = re.compile(r"^(LICEN[CS]E|COPYING)(\.[a-z]+)?$", re.IGNORECASE)


def main(sdists: str, dist: str, version: str, target: str) -> int:
    stem = re.sub(r"[-_.]+", "[-_.]", dist)
    pattern = re.compile(rf"^{stem}-{re.escape(version)}\.tar\.gz$", re.IGNORECASE)
    found = [p for p in Path(sdists).iterdir() if pattern.match(p.name)]
    if not found:
        print(f"unpack_peers: no sdist of {dist} {version} in {sdists}", file=sys.stderr)
        return 1
    out = Path(target)
    with tarfile.open(found[0]) as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts[1:]
            if not member.isfile() or not parts:
                continue
            if parts[0] == "examples" or (len(parts) == 1 and LICENCE.match(parts[0])):
                dest = out.joinpath(*parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                if source is not None:
                    dest.write_bytes(source.read())
    print(f"unpack_peers: {dist} {version} examples in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
