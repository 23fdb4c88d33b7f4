// The checked edits of jco's bindings (scripts/patch-generated.mjs): applied
// to the build in generated/, and refused, leaving the file as it was, when
// the code they target is missing or ambiguous (as after a jco upgrade).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { patchGenerated } from '../scripts/patch-generated.mjs';

const BINDINGS = new URL('../generated/transcript_snapshot.js', import.meta.url);
const MARK = / \/\/ patched: see js\/scripts\/patch-generated\.mjs/g;
const dir = mkdtempSync(path.join(tmpdir(), 'patch-generated-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The bindings as jco wrote them, before the edits (undone textually). */
function unpatched() {
  return readFileSync(BINDINGS, 'utf8').replace(
    /new Uint8Array\(memory0\.buffer, (ptr\d+), (len\d+)\);(?= \/\/ patched)/g,
    'new Uint8Array(memory0.buffer.slice($1, $1 + $2 * 1));',
  ).replace(MARK, '');
}

function withFile(name, text) {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('patch-generated', () => {
  it('left the built bindings with both imports lifting a view, and nothing else changed', () => {
    const built = readFileSync(BINDINGS, 'utf8');
    assert.equal(built.match(MARK)?.length, 2);
    const file = withFile('roundtrip.js', unpatched());
    assert.deepEqual(patchGenerated(file), [
      'output-stream.write: list<u8> lifted as a view of guest memory',
      'descriptor.write: list<u8> lifted as a view of guest memory',
    ]);
    assert.equal(readFileSync(file, 'utf8'), built);
  });

  it('refuses bindings where the code it edits is missing, and writes nothing', () => {
    const text = unpatched().replace('rsc0.write(result3, BigInt.asUintN(64, arg3))', 'rsc0.write(result3, arg3)');
    const file = withFile('missing.js', text);
    assert.throws(() => patchGenerated(file), /"descriptor\.write: .*" matched 0 times .*was jco upgraded\?/);
    assert.equal(readFileSync(file, 'utf8'), text);
  });

  it('refuses bindings where the code it edits appears twice, and writes nothing', () => {
    const once = unpatched();
    const at = once.indexOf('var result3 = new Uint8Array(memory0.buffer.slice(ptr3');
    const end = once.indexOf('};', once.indexOf("rsc0.write(result3)", at)) + 2;
    const text = once + '\n' + once.slice(at, end);
    const file = withFile('twice.js', text);
    assert.throws(() => patchGenerated(file), /"output-stream\.write: .*" matched 2 times/);
    assert.equal(readFileSync(file, 'utf8'), text);
  });
});
