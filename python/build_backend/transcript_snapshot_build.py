"""setuptools' build backend, refusing to build without the component.

The wheel and the sdist must carry src/transcript_snapshot/transcript_snapshot.wasm
(the packaging step copies it there from cargo's build); setuptools alone would
quietly build a package without it, which fails only when a user runs it.
Editable installs need no copy: in-repo use sets $TRANSCRIPT_SNAPSHOT_WASM.
"""

import shutil
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403 - every other hook unchanged

WASM = Path("src/transcript_snapshot/transcript_snapshot.wasm")  # from the project dir
# A WebAssembly *component*: the magic, then layer 1 of the binary format
# (a core module has version 1, layer 0, and cannot be loaded as a component).
COMPONENT_HEADER = b"\0asm\x0d\x00\x01\x00"


def _require_component() -> None:
    path = Path.cwd() / WASM  # build frontends run hooks in the project directory
    fix = ("copy the component built by `cargo build --target wasm32-wasip2 --release` "
           "(<target>/wasm32-wasip2/release/transcript_snapshot.wasm) to "
           f"python/{WASM.as_posix()}, then build again")
    if not path.is_file():
        raise RuntimeError(f"no component at {path}: {fix}")
    with path.open("rb") as f:
        header = f.read(len(COMPONENT_HEADER))
    if header != COMPONENT_HEADER:
        raise RuntimeError(f"{path} is not a WebAssembly component: {fix}")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _require_component()
    # setuptools reuses build/lib between runs, so a module since deleted from
    # src/ would still ship: start from what src/ holds now.
    shutil.rmtree(Path.cwd() / "build", ignore_errors=True)
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory, config_settings=None):
    _require_component()
    return _setuptools.build_sdist(sdist_directory, config_settings)
