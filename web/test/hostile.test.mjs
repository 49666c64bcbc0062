// Hostile input for the JavaScript reader with the checksums recomputed ("resealed"), so that
// the mutated bytes reach the chunk parsers instead of stopping at a checksum: every mutant
// must parse or throw NsdfError (never another exception), parsed ones must evaluate, and the
// first error must be the one `nsdf validate` reports for the same bytes (when a built `nsdf`
// is at hand: NSDF_BIN, target/debug or target/release; otherwise that part says SKIP).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, evaluate, crc32c, NsdfError } from "../nsdf.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const validDir = join(root, "spec/vectors/valid");
const nsdfBin = [process.env.NSDF_BIN, join(root, "target/debug/nsdf"), join(root, "target/release/nsdf")].find((p) => p && existsSync(p));

/** Recomputes every chunk checksum whose chunk lies in the file, then the header checksum. */
function reseal(b) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 64) return;
  const count = v.getUint32(24, true);
  if (count < 1 || count > 64 || 64 + 32 * count > b.length) return;
  for (let i = 0; i < count; i++) {
    const at = 64 + 32 * i;
    const off = v.getUint32(at + 8, true) + v.getUint32(at + 12, true) * 2 ** 32;
    const len = v.getUint32(at + 16, true) + v.getUint32(at + 20, true) * 2 ** 32;
    if (off + len <= b.length) v.setUint32(at + 24, crc32c(b.subarray(off, off + len)), true);
  }
  v.setUint32(60, crc32c(b.subarray(64, 64 + 32 * count), crc32c(b.subarray(0, 60))), true);
}

/** Deterministic mutants: every byte outside the weight blocks set to three other values, and
 * every 61st byte inside them. */
function* mutants() {
  for (const f of readdirSync(validDir).filter((f) => f.endsWith(".nsdf")).sort()) {
    const bytes = new Uint8Array(readFileSync(join(validDir, f)));
    const v = new DataView(bytes.buffer);
    let wght = [0, 0];
    for (let i = 0; i < v.getUint32(24, true); i++) {
      const at = 64 + 32 * i;
      if (String.fromCharCode(...bytes.subarray(at, at + 4)) === "WGHT") {
        const off = v.getUint32(at + 8, true);
        wght = [off + 64, off + v.getUint32(at + 16, true)];
      }
    }
    for (let i = 0; i < bytes.length; i++) {
      const inWeights = i >= wght[0] && i < wght[1];
      if (inWeights && i % 61) continue;
      for (const x of [bytes[i] ^ 0x01, bytes[i] ^ 0x80, bytes[i] === 0 ? 0xff : 0]) {
        const m = new Uint8Array(bytes);
        m[i] = x;
        reseal(m);
        yield { name: `${f}@${i}=${x}`, bytes: m };
      }
    }
  }
}

/** The reader's verdict: "ok" or the error code, and the offset. */
function verdict(bytes) {
  try {
    const model = parse(bytes);
    for (const p of [[0, 0, 0], [0.3, -0.2, 0.1]]) evaluate(model, p);
    return { code: "ok", offset: null };
  } catch (e) {
    if (!(e instanceof NsdfError)) throw e;
    return { code: e.code, offset: e.offset };
  }
}

test("resealed mutants parse or fail with NsdfError, as nsdf validate says", () => {
  const all = [...mutants()];
  const ours = all.map((m) => {
    try {
      return verdict(m.bytes);
    } catch (e) {
      assert.fail(`${m.name}: ${e.stack}`);
    }
  });
  const rejected = ours.filter((v) => v.code !== "ok").length;
  process.stderr.write(`hostile: ${all.length} resealed mutants, ${rejected} rejected, ${all.length - rejected} accepted\n`);
  if (!nsdfBin) {
    process.stderr.write("SKIP: no built nsdf (cargo build): verdicts not compared with nsdf validate\n");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "nsdf-hostile-"));
  try {
    let mismatches = [];
    for (let start = 0; start < all.length; start += 500) {
      const batch = all.slice(start, start + 500);
      const paths = batch.map((m, k) => {
        const p = join(dir, `m${start + k}.nsdf`);
        writeFileSync(p, m.bytes);
        return p;
      });
      let out;
      try {
        out = execFileSync(nsdfBin, ["validate", "--json", ...paths], { maxBuffer: 1 << 28 });
      } catch (e) {
        out = e.stdout; // exit status 1 when any file is invalid
      }
      JSON.parse(out).forEach((r, k) => {
        const first = r.issues.find((i) => i.severity === "error");
        const theirs = first ? { code: first.code, offset: first.offset } : { code: "ok", offset: null };
        const mine = ours[start + k];
        if (mine.code !== theirs.code || mine.offset !== theirs.offset) {
          mismatches.push(`${batch[k].name}: js ${mine.code}@${mine.offset}, nsdf validate ${theirs.code}@${theirs.offset}`);
        }
      });
      paths.forEach((p) => rmSync(p));
    }
    assert.deepEqual(mismatches.slice(0, 40), [], `${mismatches.length} mismatches`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
