// The JavaScript reader against the spec's test vectors: every valid file parses and gives the
// expected distances and gradients within the stated tolerance, every invalid one is rejected
// with the code and offset of its golden report, and no prefix or single-byte change of a
// valid file makes it throw anything but NsdfError. Run: node --test web/test/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, dirname } from "node:path";
import { parse, evaluate, crc32c, NsdfError } from "../nsdf.js";

const vectors = join(dirname(fileURLToPath(import.meta.url)), "../../spec/vectors");
const files = (dir) => readdirSync(join(vectors, dir)).filter((f) => f.endsWith(".nsdf")).sort();
const read = (dir, f) => new Uint8Array(readFileSync(join(vectors, dir, f)));

test("CRC-32C check value", () => {
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

for (const f of files("valid")) {
  test(`valid ${f}: distances and gradients within the stated tolerance`, () => {
    const model = parse(read("valid", f));
    const text = readFileSync(join(vectors, "valid", f.replace(/\.nsdf$/, ".expected.txt")), "utf8");
    const tol = { distance: [1e-5, 1e-5], gradient: [1e-4, 1e-4] };
    let rows = 0;
    for (const line of text.split("\n")) {
      const w = line.trim().split(/\s+/);
      if (w[0] === "tolerance") tol[w[1]] = [Number(w[2]), Number(w[3])];
      if (!line.trim() || line.startsWith("#") || w[0] === "tolerance") continue;
      const [x, y, z, d, ...g] = w.map(Number);
      const got = evaluate(model, [x, y, z].map(Math.fround));
      const ok = (got, want, [abs, rel]) => Math.abs(got - want) <= abs + rel * Math.abs(want);
      assert.ok(ok(got.distance, d, tol.distance), `${f} row ${rows}: distance ${got.distance}, expected ${d}`);
      g.forEach((want, a) => assert.ok(ok(got.gradient[a], want, tol.gradient), `${f} row ${rows}: gradient ${a} ${got.gradient[a]}, expected ${want}`));
      rows++;
    }
    assert.ok(rows > 0, `${f}: no rows`);
  });
}

for (const f of files("invalid")) {
  test(`invalid ${f}: the code and offset of its golden report`, () => {
    const report = readFileSync(join(vectors, "invalid", f.replace(/\.nsdf$/, ".report.txt")), "utf8");
    const first = report.split("\n").find((l) => l.startsWith("error\t")).split("\t");
    const [code, offset] = [first[1], first[2] === "-" ? null : Number(first[2])];
    assert.ok(f.startsWith(code.slice("NSDF-".length)), `${f}: its report starts with ${code}`);
    assert.throws(() => parse(read("invalid", f)), (e) => {
      assert.ok(e instanceof NsdfError, `${f}: ${e}`);
      assert.equal(e.code, code, `${f}: ${e.message}`);
      assert.equal(e.offset, offset, `${f}: ${e.message}`);
      return true;
    });
  });
}

/** Parses `bytes`, which may be anything: a model or an NsdfError, never another exception. */
function parseOrReject(bytes, what) {
  try {
    return parse(bytes);
  } catch (e) {
    if (!(e instanceof NsdfError)) throw new Error(`${what}: ${e}`);
    return null;
  }
}

test("every truncated prefix of every valid vector is rejected with NsdfError", () => {
  for (const f of files("valid")) {
    const bytes = read("valid", f);
    for (let n = 0; n < bytes.length; n++) {
      assert.equal(parseOrReject(bytes.subarray(0, n), `${f} cut at ${n}`), null, `${f} cut at ${n} was accepted`);
    }
  }
});

test("single-byte changes of the valid vectors are rejected with NsdfError", () => {
  for (const f of files("valid")) {
    const bytes = read("valid", f);
    const copy = new Uint8Array(bytes);
    for (let i = 0; i < bytes.length; i++) {
      // Every byte flipped in its top bit; every 16th also set to 0x00, 0xff and its low bit
      // flipped (the CRCs in JavaScript are what a full sweep would spend its time on).
      const values = i % 16 ? [bytes[i] ^ 0x80] : [bytes[i] ^ 0x80, bytes[i] ^ 0x01, 0x00, 0xff];
      for (const x of values) {
        if (x === bytes[i]) continue;
        copy[i] = x;
        // The checksums cover every byte but padding, which must be zero: all are caught.
        assert.equal(parseOrReject(copy, `${f} byte ${i} = ${x}`), null, `${f} byte ${i} = ${x} was accepted`);
      }
      copy[i] = bytes[i];
    }
  }
});
