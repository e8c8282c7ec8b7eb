"""Hash what the example and every test root build to, to prove a refactor changes nothing.

    python scripts/snapshot.py OUT.json          # build and write the hashes
    python scripts/snapshot.py OUT.json --against BEFORE.json   # and compare
    python scripts/snapshot.py OUT.json --against BEFORE.json --renamed MAP.txt

Builds ``examples/*`` and ``tests/roots/test-*`` with the html builder (fresh,
serial) and hashes every written ``.html`` page and ``threats.json``.  Exits 1
when ``--against`` differs, listing the files that changed.  ``--renamed``
names a file of ``old new`` lines (test roots renamed since BEFORE was made),
so a renamed root is compared with its old self.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def projects() -> list[Path]:
    """Every project to build: the examples and the test roots."""
    found = [p for p in sorted((ROOT / "examples").iterdir()) if (p / "conf.py").exists()]
    found += [p for p in sorted((ROOT / "tests" / "roots").iterdir()) if (p / "conf.py").exists()]
    return found


def build(project: Path, out: Path) -> dict[str, str]:
    """Build ``project`` into ``out``; the hash of every page and of threats.json."""
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-E", "-q", "-b", "html", str(project), str(out)],
        capture_output=True,
        check=False,
    )
    hashes = {}
    for path in sorted(out.rglob("*")):
        if path.suffix == ".html" or path.name == "threats.json":
            hashes[path.relative_to(out).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def main() -> int:
    """Build, hash, and compare when asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--against", type=Path)
    parser.add_argument("--renamed", type=Path, help="a file of 'old new' root names")
    args = parser.parse_args()
    result: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for project in projects():
            name = project.relative_to(ROOT).as_posix()
            result[name] = build(project, Path(tmp, project.name))
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    if args.against is None:
        return 0
    before = json.loads(args.against.read_text(encoding="utf-8"))
    if args.renamed is not None:
        for line in args.renamed.read_text(encoding="utf-8").splitlines():
            if line.strip():
                old, new = line.split()
                before[f"tests/roots/{new}"] = before.pop(f"tests/roots/{old}", {})
    changed = [
        f"{name}/{page}"
        for name in sorted(set(before) | set(result))
        for page in sorted(set(before.get(name, {})) | set(result.get(name, {})))
        if before.get(name, {}).get(page) != result.get(name, {}).get(page)
    ]
    for line in changed:
        print("changed:", line)
    print(f"{sum(len(v) for v in result.values())} files, {len(changed)} changed")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
