// The viewer in a real browser: Debian's Chromium (software WebGL through SwiftShader), driven
// by playwright-core (no browser download). `nsdf view` serves a test vector; the page's
// picture must match `nsdf render` of the same view, and a hostile file must show its error
// code with no exception. Skips, saying so, without Chromium, playwright-core (`npm ci` in web/)
// or a built `nsdf` (`cargo build`); under CI=true those fail instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const valid = join(root, "spec/vectors/valid/davies-int8.nsdf");
const hostile = join(root, "spec/vectors/invalid/E008-chunk-checksum.nsdf");
const SIZE = 96;

const nsdfBin = [process.env.NSDF_BIN, join(root, "target/debug/nsdf"), join(root, "target/release/nsdf")].find((p) => p && existsSync(p));
const chromiumBin = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
let playwright = null;
try {
  playwright = await import("playwright-core");
} catch {}

const missing = [!nsdfBin && "a built nsdf (cargo build)", !chromiumBin && "Chromium (apt install chromium)", !playwright && "playwright-core (npm ci in web/)"].filter(Boolean);
const inCi = ["true", "1"].includes((process.env.CI ?? "").toLowerCase());
const skip = missing.length && !inCi ? `SKIP: the browser test needs ${missing.join(", ")}` : false;
if (skip) process.stderr.write(`${skip}\n`);

/** Starts `nsdf view FILE` and resolves to [process, the address it printed]. */
function view(file) {
  const p = spawn(nsdfBin, ["view", file, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/^(http:\/\/\S+)/m);
      if (m) resolve([p, m[1]]);
    });
    p.on("exit", (code) => reject(new Error(`nsdf view exited with ${code}: ${out}`)));
  });
}

async function withPage(file, query, fn) {
  const [server, url] = await view(file);
  const browser = await playwright.chromium.launch({
    executablePath: chromiumBin,
    // Software WebGL2: ANGLE on SwiftShader, as on machines without a GPU.
    args: ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--no-sandbox"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${url}${query}`);
    // SwiftShader draws the whole network per pixel on the CPU: minutes on a busy 2-core machine.
    await page.waitForFunction(() => ["rendered", "error"].includes(document.body.dataset.state), null, { timeout: 600000 });
    await fn(page, errors);
  } finally {
    await browser.close();
    server.kill();
  }
}

/** RGB pixels of an 8-bit, non-interlaced RGB or RGBA PNG. */
function decodePng(buf) {
  let at = 8;
  let idat = [];
  let width, height, channels;
  while (at < buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
      assert.equal(data[8], 8, "8-bit PNG");
      channels = { 2: 3, 6: 4 }[data[9]];
      assert.ok(channels && data[12] === 0, "RGB(A), not interlaced");
    } else if (type === "IDAT") idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const i = y * stride + x;
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? px[i - channels] : 0;
      const b = y > 0 ? px[i - stride] : 0;
      const c = x >= channels && y > 0 ? px[i - stride - channels] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      px[i] = (v + [0, a, b, (a + b) >> 1, paeth][filter]) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(px.subarray(i * channels, i * channels + 3), i * 3);
  return { width, height, rgb };
}

test("the viewer's picture matches nsdf render of the same view", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "nsdf-view-"));
  try {
    const ref = join(dir, "ref.png");
    execFileSync(nsdfBin, ["render", valid, "-o", ref, "--size", `${SIZE}x${SIZE}`, "--view", "30,20", "-q"]);
    await withPage(valid, `?url=/shape.nsdf&size=${SIZE}x${SIZE}&az=30&el=20`, async (page, errors) => {
      assert.equal(await page.evaluate(() => document.body.dataset.state), "rendered", await page.textContent("#status"));
      assert.deepEqual(errors, []);
      const info = await page.textContent("#info");
      assert.match(info, /10,464 bytes/);
      assert.match(info, /7,553 parameters/);
      const png = await page.evaluate(() => document.getElementById("canvas").toDataURL("image/png"));
      const got = decodePng(Buffer.from(png.split(",")[1], "base64"));
      const want = decodePng(readFileSync(ref));
      assert.deepEqual([got.width, got.height], [want.width, want.height]);
      // Same camera, steps and shading; normals from central differences in the shader against
      // the analytic gradient in nsdf render, and GPU float rounding: allowed a mean of 2 levels
      // and 1% of pixels more than 32 levels off (measured on bunny_hr at 256x256: mean 0.03,
      // 0.003% of pixels over 16).
      let sum = 0;
      let far = 0;
      for (let i = 0; i < got.rgb.length; i += 3) {
        const d = [0, 1, 2].map((c) => Math.abs(got.rgb[i + c] - want.rgb[i + c]));
        sum += d[0] + d[1] + d[2];
        far += Math.max(...d) > 32;
      }
      const mean = sum / got.rgb.length;
      const frac = far / (got.width * got.height);
      process.stderr.write(`viewer vs nsdf render: mean |difference| ${mean.toFixed(3)} levels, ${(100 * frac).toFixed(2)}% of pixels over 32\n`);
      assert.ok(mean < 2 && frac < 0.01, `mean ${mean}, far ${frac}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a hostile file shows its error code and raises no exception", { skip }, async () => {
  await withPage(hostile, "?url=/shape.nsdf", async (page, errors) => {
    assert.equal(await page.evaluate(() => document.body.dataset.state), "error");
    assert.match(await page.textContent("#status"), /NSDF-E008/);
    assert.deepEqual(errors, []);
  });
});
