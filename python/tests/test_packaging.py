"""The component as a user installs it: the default path, and the wheel and sdist
carrying the component (a build without it fails) and working outside the repo.

Builds run offline (`--no-isolation`, with setuptools and build from
requirements.lock) on a copy of the project, so the source tree is untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import transcript_snapshot as ts
from repo import PYDIR, built_component

WASM = built_component()
BUNDLED = "transcript_snapshot/transcript_snapshot.wasm"
PACKAGE = ["pyproject.toml", "MANIFEST.in", "README.md", "build_backend", "src"]


def env_without_wasm(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRANSCRIPT_SNAPSHOT_WASM", "PYTHONPATH")}
    return dict(env, **extra)


def python(code: str, cwd: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env_without_wasm(**env),
                          capture_output=True, text=True, timeout=120)


def copy_project(dest: Path, with_wasm: bool) -> Path:
    """The package's sources as a packaging step sees them, without build leftovers."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "transcript_snapshot.wasm")
    dest.mkdir()
    for name in PACKAGE:
        src = PYDIR / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    if with_wasm:
        shutil.copy2(WASM, dest / "src" / BUNDLED)
    return dest


def build(project: Path, outdir: Path, *kinds: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "build", "--no-isolation", *kinds,
                           "--outdir", str(outdir), str(project)],
                          capture_output=True, text=True, timeout=300)


# --- the default component ------------------------------------------------------

def test_env_var_names_the_component(monkeypatch, tmp_path):
    monkeypatch.setenv("TRANSCRIPT_SNAPSHOT_WASM", str(WASM))
    assert ts.default_component_path() == WASM
    monkeypatch.setenv("TRANSCRIPT_SNAPSHOT_WASM", str(tmp_path / "missing.wasm"))
    with pytest.raises(ts.ComponentNotFoundError, match=r"TRANSCRIPT_SNAPSHOT_WASM is .*"
                       r"missing\.wasm.*not a file.*unset it"):
        ts.SnapshotClient()


def test_missing_component_path_is_a_typed_error(tmp_path):
    with pytest.raises(ts.ComponentNotFoundError, match="component_path") as info:
        ts.SnapshotClient(component_path=tmp_path / "nothing.wasm")
    assert isinstance(info.value, FileNotFoundError)  # what callers caught before


def test_no_bundled_component_and_no_env_says_how_to_fix(tmp_path):
    copy_project(tmp_path / "project", with_wasm=False)
    out = python("import transcript_snapshot as ts\n"
                 "try:\n    ts.SnapshotClient()\n"
                 "except ts.ComponentNotFoundError as e:\n    print(e)\n",
                 cwd=tmp_path, PYTHONPATH=str(tmp_path / "project/src"))
    assert out.returncode == 0, out.stderr
    assert "TRANSCRIPT_SNAPSHOT_WASM is not set" in out.stdout
    assert "no bundled transcript_snapshot.wasm" in out.stdout
    assert "install the wheel" in out.stdout


# --- the wheel and the sdist ------------------------------------------------------

def test_build_without_the_component_fails_and_produces_nothing(tmp_path):
    project = copy_project(tmp_path / "project", with_wasm=False)
    for kind in ("--wheel", "--sdist"):
        result = build(project, tmp_path / "dist", kind)
        assert result.returncode != 0, kind
        assert "no component at" in result.stderr and "transcript_snapshot.wasm" in result.stderr
    assert not list((tmp_path / "dist").glob("*"))
    # A core module (not a component) is refused too.
    (project / "src" / BUNDLED).write_bytes(b"\0asm\x01\x00\x00\x00")
    result = build(project, tmp_path / "dist", "--wheel")
    assert result.returncode != 0 and "is not a WebAssembly component" in result.stderr


def test_wheel_built_from_the_sdist_works_outside_the_repository(tmp_path, gateway):
    # No --wheel/--sdist: build makes the sdist, then the wheel *from the sdist*.
    project = copy_project(tmp_path / "project", with_wasm=True)
    dist = tmp_path / "dist"
    result = build(project, dist)
    assert result.returncode == 0, result.stderr[-3000:]
    wheel = dist / "transcript_snapshot-0.2.0-py3-none-any.whl"
    sdist = dist / "transcript_snapshot-0.2.0.tar.gz"
    assert sorted(p.name for p in dist.iterdir()) == sorted([wheel.name, sdist.name])
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert f"transcript_snapshot-0.2.0/src/{BUNDLED}" in names
    assert not [n for n in names if "/tests/" in n]
    # A leftover of an earlier in-place build must not ship in the next wheel.
    stale = project / "build/lib/transcript_snapshot/removed_module.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("")
    result = build(project, tmp_path / "in-place", "--wheel")
    assert result.returncode == 0, result.stderr[-3000:]
    with zipfile.ZipFile(tmp_path / "in-place" / wheel.name) as zf:
        assert "transcript_snapshot/removed_module.py" not in zf.namelist()
        assert zf.read(BUNDLED) == WASM.read_bytes()
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read(BUNDLED) == WASM.read_bytes()
        assert {n.split("/")[0] for n in zf.namelist()} == {
            "transcript_snapshot", "transcript_snapshot-0.2.0.dist-info"}
        metadata = zf.read("transcript_snapshot-0.2.0.dist-info/METADATA").decode()
        zf.extractall(tmp_path / "site")
    wanted = tomllib.loads((PYDIR / "pyproject.toml").read_text())["project"]["dependencies"]
    requires = [Requirement(line.split(":", 1)[1]) for line in metadata.splitlines()
                if line.startswith("Requires-Dist:")]
    assert requires == [Requirement(d) for d in wanted]  # wasmtime as a range
    # The unpacked wheel alone (no src/, no target/, no env var), from outside the repo.
    (tmp_path / "ws/.openclaw").mkdir(parents=True)
    gateway.snapshot = b'{"turn":1}\n'
    code = ("import json, transcript_snapshot as ts\n"
            "c = ts.SnapshotClient(preopens={'/workspace': 'ws'}, cache_dir=False)\n"
            "out = c.hydrate(ts.Gateway(%r, 't'), '/workspace/.openclaw/session.jsonl')\n"
            "print(json.dumps([ts.__file__, str(ts.default_component_path()), repr(out)]))\n"
            % gateway.url)
    out = python(code, cwd=tmp_path, PYTHONPATH=str(tmp_path / "site"))
    assert out.returncode == 0, out.stderr
    module, component, outcome = json.loads(out.stdout)
    assert module == str(tmp_path / "site/transcript_snapshot/__init__.py")
    assert component == str(tmp_path / "site" / BUNDLED)
    assert outcome == "Hydrated(bytes=11, attempts=1)"
    assert (tmp_path / "ws/.openclaw/session.jsonl").read_bytes() == gateway.snapshot
