// The browser viewer: reads a .nsdf with web/nsdf.js and sphere-traces it in WebGL2, the
// network's weights in a float texture. Camera, stepping and shading follow `nsdf render`
// (crates/render), so the same view gives the same picture. Networks up to 64 units wide.

import { parse, NsdfError } from "./nsdf.js";

const MAX_WIDTH = 64; // units per layer the shader's arrays hold
const MAX_INPUTS = 128; // layer 0 with Fourier features: 3 + 6F, F <= 16 -> 99
const MAX_LAYERS = 64;
const TEX_WIDTH = 1024;

const VERTEX = `#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

const FRAGMENT = `#version 300 es
precision highp float;
precision highp int;
uniform highp sampler2D weights;   // per layer: bias[O], then weights[O * I] row-major
uniform ivec4 layers[${MAX_LAYERS}];     // inputs, outputs, activation, first texel
uniform float params[${MAX_LAYERS}];
uniform int layerCount;
uniform int frequencies;
uniform float scale, distanceScale, lipschitz;
uniform vec3 translation, boxLo, boxHi;
uniform vec3 eye, forward, right, up;
uniform float tanHalf, size;
uniform vec2 resolution;
out vec4 colour;

float w(int i) { return texelFetch(weights, ivec2(i % ${TEX_WIDTH}, i / ${TEX_WIDTH}), 0).r; }

float field(vec3 p) {
  vec3 q = scale * p + translation;
  float x[${MAX_INPUTS}];
  float y[${MAX_INPUTS}];
  x[0] = q.x; x[1] = q.y; x[2] = q.z;
  for (int k = 0; k < frequencies; k++) {
    float om = 3.14159274 * exp2(float(k));
    for (int a = 0; a < 3; a++) {
      x[3 + 6 * k + a] = sin(om * q[a]);
      x[6 + 6 * k + a] = cos(om * q[a]);
    }
  }
  for (int l = 0; l < layerCount; l++) {
    ivec4 L = layers[l];
    for (int o = 0; o < L.y; o++) {
      float z = w(L.w + o);
      int row = L.w + L.y + o * L.x;
      for (int i = 0; i < L.x; i++) z += w(row + i) * x[i];
      float a = params[l];
      y[o] = L.z == 0 ? z : L.z == 1 ? max(z, 0.0) : L.z == 2 ? (z >= 0.0 ? z : a * z)
           : L.z == 3 ? tanh(z) : sin(a * z);
    }
    for (int o = 0; o < L.y; o++) x[o] = y[o];
  }
  return distanceScale * x[0];
}

vec3 toSrgb(vec3 c) {
  c = clamp(c, 0.0, 1.0);
  return mix(12.92 * c, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, c));
}

void main() {
  // Pixel (x, y) with y down, as nsdf render numbers them.
  vec2 px = vec2(gl_FragCoord.x, resolution.y - gl_FragCoord.y);
  float v = px.y / resolution.y;
  vec3 bg = mix(vec3(0.96, 0.97, 0.99), vec3(0.80, 0.83, 0.88), (floor(px.y) ) / resolution.y);
  float aspect = resolution.x / resolution.y;
  float u = (2.0 * px.x / resolution.x - 1.0) * tanHalf * aspect;
  float vv = (1.0 - 2.0 * v) * tanHalf;
  vec3 dir = normalize(forward + u * right + vv * up);
  vec3 inv = 1.0 / dir;
  vec3 ta = (boxLo - eye) * inv, tb = (boxHi - eye) * inv;
  vec3 tmin = min(ta, tb), tmax = max(ta, tb);
  float t = max(max(max(tmin.x, tmin.y), tmin.z), 0.0);
  float tEnd = min(min(tmax.x, tmax.y), tmax.z);
  colour = vec4(toSrgb(bg), 1.0);
  if (t > tEnd) return;
  bool hit = true; // rays still marching after the last step graze the surface
  for (int s = 0; s < 200; s++) {
    float d = field(eye + t * dir);
    float eps = max(t * tanHalf / resolution.y, 1e-6 * size);
    if (d < eps) { hit = true; break; }
    t += d / lipschitz;
    if (t > tEnd) { hit = false; break; }
  }
  if (!hit) return;
  vec3 p = eye + t * dir;
  float h = 1e-4 * size;
  vec3 n = normalize(vec3(
    field(p + vec3(h, 0, 0)) - field(p - vec3(h, 0, 0)),
    field(p + vec3(0, h, 0)) - field(p - vec3(0, h, 0)),
    field(p + vec3(0, 0, h)) - field(p - vec3(0, 0, h))));
  vec3 view = -dir;
  if (dot(n, view) < 0.0) n = -n;
  vec3 key = normalize(-0.5 * right + 0.8 * up + 0.6 * view);
  vec3 fill = normalize(0.7 * right + 0.1 * up + 0.5 * view);
  float diffuse = 0.75 * max(dot(n, key), 0.0) + 0.25 * max(dot(n, fill), 0.0);
  float spec = 0.25 * pow(max(dot(n, normalize(key + view)), 0.0), 40.0);
  float ambient = 0.18 + 0.1 * dot(n, up);
  colour = vec4(toSrgb(vec3(0.78, 0.74, 0.68) * (ambient + diffuse) + spec), 1.0);
}`;

/** Why a parsed model cannot be drawn here, or null. */
export function unsupported(model) {
  if (model.layers.length > MAX_LAYERS) return `${model.layers.length} layers (this viewer draws up to ${MAX_LAYERS})`;
  const wide = model.layers.find((l) => l.outputs > MAX_WIDTH);
  if (wide) return `a layer ${wide.outputs} units wide (this viewer draws up to ${MAX_WIDTH})`;
  // The shader has no hash-grid lookup: drawing without it would show a wrong surface.
  if (model.grid) return "a hash-grid encoding (this viewer draws networks with Fourier features or no encoding)";
  return null;
}

/** Camera of `nsdf render` (crates/render/src/camera.rs, Camera::framing). */
export function framing(lo, hi, width, height, azimuth, elevation, fov) {
  const centre = [0, 1, 2].map((a) => 0.5 * (lo[a] + hi[a]));
  const radius = 0.5 * Math.hypot(...[0, 1, 2].map((a) => hi[a] - lo[a]));
  const tanHalf = Math.tan((fov * Math.PI) / 360);
  const aspectMin = Math.min(width / height, 1);
  const distance = (radius / Math.sin(Math.atan(tanHalf * aspectMin))) * 1.02;
  const [az, el] = [azimuth, elevation].map((x) => (x * Math.PI) / 180);
  const dir = [Math.cos(el) * Math.sin(az), Math.sin(el), Math.cos(el) * Math.cos(az)];
  const eye = centre.map((c, a) => c + distance * dir[a]);
  const norm = (v) => v.map((x) => x / Math.max(Math.hypot(...v), 1e-30));
  const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const forward = norm(dir.map((x) => -x));
  let right = cross(forward, [0, 1, 0]);
  right = Math.hypot(...right) < 1e-6 ? [1, 0, 0] : norm(right);
  return { eye, forward, right, up: cross(right, forward), tanHalf };
}

/** Draws `model` on `canvas`; returns a function that redraws from a new view. */
export function draw(canvas, model) {
  const gl = canvas.getContext("webgl2", { preserveDrawingBuffer: true, antialias: false });
  if (!gl) throw new Error("this browser has no WebGL2");
  const shader = (type, src) => {
    const s = gl.createShader(type);
    gl.shaderSource(s, src);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(s)}`);
    return s;
  };
  const prog = gl.createProgram();
  gl.attachShader(prog, shader(gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(prog);
  if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(`shader: ${gl.getProgramInfoLog(prog)}`);
  gl.useProgram(prog);

  // The weights: per layer its biases then its weights, one float per texel.
  const total = model.layers.reduce((s, l) => s + l.outputs + l.outputs * l.inputs, 0);
  const rows = Math.ceil(total / TEX_WIDTH);
  const data = new Float32Array(rows * TEX_WIDTH);
  const layers = new Int32Array(4 * MAX_LAYERS);
  const params = new Float32Array(MAX_LAYERS);
  const codes = { identity: 0, relu: 1, leaky_relu: 2, tanh: 3, sine: 4 };
  let at = 0;
  model.layers.forEach((l, i) => {
    layers.set([l.inputs, l.outputs, codes[l.activation], at], 4 * i);
    params[i] = l.param;
    data.set(l.bias, at);
    data.set(l.weights, at + l.outputs);
    at += l.outputs + l.outputs * l.inputs;
  });
  const tex = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, tex);
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32F, TEX_WIDTH, rows, 0, gl.RED, gl.FLOAT, data);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
  const u = (name) => gl.getUniformLocation(prog, name);
  gl.uniform1i(u("weights"), 0);
  gl.uniform4iv(u("layers"), layers);
  gl.uniform1fv(u("params"), params);
  gl.uniform1i(u("layerCount"), model.layers.length);
  gl.uniform1i(u("frequencies"), model.frequencies);
  const t = model.transform;
  gl.uniform1f(u("scale"), t.scale);
  gl.uniform3fv(u("translation"), t.translation);
  gl.uniform1f(u("distanceScale"), t.distanceScale);
  // The stored gradient bound is the safe step (STAT); without it, 1 as `nsdf render` does.
  gl.uniform1f(u("lipschitz"), Math.max(model.stats ? model.stats.gradientBound : 1, 1e-3));
  const size = Math.max(...[0, 1, 2].map((a) => t.boundsMax[a] - t.boundsMin[a]), 1e-6);
  const pad = 0.01 * size;
  gl.uniform3fv(u("boxLo"), t.boundsMin.map((x) => x - pad));
  gl.uniform3fv(u("boxHi"), t.boundsMax.map((x) => x + pad));
  gl.uniform1f(u("size"), size);

  return (view) => {
    const { width, height } = canvas;
    const cam = framing(t.boundsMin, t.boundsMax, width, height, view.azimuth, view.elevation, view.fov);
    gl.viewport(0, 0, width, height);
    gl.uniform2f(u("resolution"), width, height);
    for (const k of ["eye", "forward", "right", "up"]) gl.uniform3fv(u(k), cam[k]);
    gl.uniform1f(u("tanHalf"), cam.tanHalf);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    gl.finish();
  };
}

const grid = (g) => (g ? `; hash grid, ${g.resolutions.length} levels of ${g.features} features (${g.scheme}, 2^${g.log2Table} entries)` : "");

/** What the page shows beside the picture. */
export function describe(model, bytes) {
  const l = model.layers;
  const arch = `${l.length} layers, ${l.map((x) => x.outputs).join("·")} units, ${model.parameters.toLocaleString("en")} parameters`;
  const schemes = [...new Set(l.map((x) => x.scheme))].join(", ");
  const lines = [
    ["size", `${bytes.toLocaleString("en")} bytes (nsdf ${model.version.join(".")})`],
    ["network", `${arch}; weights ${schemes}${model.frequencies ? `; Fourier features, ${model.frequencies} frequencies` : ""}${grid(model.grid)}`],
  ];
  if (model.metadata["nsdf.name"]) lines.unshift(["name", model.metadata["nsdf.name"]]);
  const s = model.stats;
  if (s) {
    lines.push(["surface error", `mean ${s.surfaceMeanError.toPrecision(3)}, max ${s.surfaceMaxError.toPrecision(3)} (world units)`]);
    lines.push(["sign agreement", `near the surface ${(100 * s.nearSignAgreement).toFixed(1)}%, in the box ${(100 * s.volumeSignAgreement).toFixed(1)}%`]);
  } else {
    lines.push(["accuracy", "not stored (no STAT chunk)"]);
  }
  return lines;
}

/** Reads `bytes` and shows them, or the reason they cannot be shown; never throws. */
export function show(bytes, name, page) {
  const view = { azimuth: 30, elevation: 20, fov: 30, ...page.initialView };
  try {
    const model = parse(bytes);
    const why = unsupported(model);
    if (why) throw new Error(`${name}: cannot draw ${why}`);
    const redraw = draw(page.canvas, model);
    page.info(describe(model, bytes.length));
    const render = () => {
      redraw(view);
      page.status(`${name}: rendered (azimuth ${view.azimuth.toFixed(0)}°, elevation ${view.elevation.toFixed(0)}°)`, "rendered");
    };
    render();
    return (dAz, dEl) => {
      view.azimuth = (view.azimuth + dAz) % 360;
      view.elevation = Math.max(-89, Math.min(89, view.elevation + dEl));
      render();
    };
  } catch (e) {
    const message = e instanceof NsdfError ? `${name} is not a readable .nsdf file: ${e.message}` : `${e.message}`;
    page.info([]);
    page.status(message, "error");
    return null;
  }
}
