"""Where this repository's builds are: test scaffolding, never in the package.

The package finds its component through $TRANSCRIPT_SNAPSHOT_WASM or the copy
bundled in the wheel; in-repo tests point the variable at cargo's build
(see conftest.py), so they always test the component just built.
"""

from __future__ import annotations

import os
from pathlib import Path

PYDIR = Path(__file__).resolve().parents[1]
REPO = PYDIR.parent


def target_dir() -> Path:
    """$CARGO_TARGET_DIR (a relative one from the repo root, where the scripts
    run cargo), else the repository's target/."""
    return REPO / (os.environ.get("CARGO_TARGET_DIR") or "target")


def built_component() -> Path:
    return target_dir() / "wasm32-wasip2/release/transcript_snapshot.wasm"
