//! `nsdf_shapes._nsdf`: the Python extension module over the nsdf library crates.
//!
//! Everything slow (evaluation, packing, meshing, rendering, comparing) runs with the GIL
//! released. Points arrive as any `(N, 3)` array-like of real numbers; they are converted to
//! float32 C order once (numpy), then copied out of the array so no Python object is touched
//! while the GIL is released (12 bytes a point: 0.96–1.04× `nsdf bench` on 1M points). The pure-Python layer (`nsdf_shapes/__init__.py`)
//! re-exports these names and adds the torch module.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use numpy::{PyArray1, PyArray2, PyArray3, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyException, PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use nsdf::{Activation, Encoding, Scheme, Value};
use nsdf_mesh::surface::redistance::{self, RESOLUTION};
use nsdf_mesh::surface::{Field, Redistanced};
use nsdf_train::pack::{self as packing, Event, Options, PackError};
use nsdf_train::{FitConfig, InputEncoding, Recipe};

pyo3::create_exception!(
    nsdf_shapes,
    NsdfError,
    PyException,
    "An nsdf error. `code` is the spec's stable code (e.g. \"NSDF-E008\") for a problem with \
     a .nsdf file, or \"mesh\", \"inaccurate\", \"budget\", \"train\" for packing; `offset` is \
     the byte offset in the file where the problem was found, or None."
);

fn error(py: Python<'_>, message: String, code: &str, offset: Option<u64>) -> PyErr {
    let err = NsdfError::new_err(message);
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail short of memory exhaustion.
    let _ = value.setattr("code", code);
    let _ = value.setattr("offset", offset);
    err
}

fn format_error(py: Python<'_>, e: nsdf::Error) -> PyErr {
    error(py, e.to_string(), e.code(), e.offset())
}

fn pack_error(py: Python<'_>, e: PackError) -> PyErr {
    let (code, offset) = match &e {
        PackError::Cancelled => return PyKeyboardInterrupt::new_err("packing cancelled"),
        PackError::Output { source, .. } => (source.code(), source.offset()),
        PackError::Mesh { .. } => ("mesh", None),
        PackError::Train { .. } | PackError::Threads(_) => ("train", None),
        PackError::Inaccurate { .. } => ("inaccurate", None),
        PackError::OverBudget { .. } => ("budget", None),
    };
    error(py, e.to_string(), code, offset)
}

/// `value` if it is 1 to `max` (a `ValueError` naming `name` otherwise).
fn at_most(name: &str, value: Option<usize>, max: usize) -> PyResult<Option<usize>> {
    match value {
        Some(v) if !(1..=max).contains(&v) => Err(PyValueError::new_err(format!(
            "{name} must be 1 to {max}, got {v}"
        ))),
        v => Ok(v),
    }
}

/// Reads an `(N, 3)` array-like of real numbers as float32 points.
fn points_arg<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Vec<[f32; 3]>> {
    let np = py.import("numpy")?;
    let array = np.call_method1("asarray", (obj,)).map_err(|_| {
        PyValueError::new_err(format!(
            "{what} must be an (N, 3) array of numbers, got {}",
            type_name(obj)
        ))
    })?;
    let kind: String = array.getattr("dtype")?.getattr("kind")?.extract()?;
    if !matches!(kind.as_str(), "f" | "i" | "u") {
        return Err(PyValueError::new_err(format!(
            "{what} must hold real numbers, got dtype {}",
            array.getattr("dtype")?.str()?
        )));
    }
    let array = np.call_method1("ascontiguousarray", (array, "float32"))?;
    let array = array.cast_into::<PyArray2<f32>>().map_err(|_| {
        let shape = obj_shape(obj);
        PyValueError::new_err(format!("{what} must have shape (N, 3), got {shape}"))
    })?;
    if array.shape()[1] != 3 {
        return Err(PyValueError::new_err(format!(
            "{what} must have shape (N, 3), got {:?}",
            array.shape()
        )));
    }
    let readonly = array.readonly();
    let flat = readonly.as_slice()?;
    // Copied out: another Python thread may write to the array once the GIL is released.
    Ok(flat.as_chunks::<3>().0.to_vec())
}

fn obj_shape(obj: &Bound<'_, PyAny>) -> String {
    obj.getattr("shape")
        .and_then(|s| s.str().map(|s| s.to_string()))
        .unwrap_or_else(|_| "something else".into())
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Where a shape's bytes live: a read-only memory map of its file, or memory.
enum Bytes {
    Map(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Map(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// A loaded `.nsdf` shape: evaluate it, mesh it, render it, save it.
#[pyclass(module = "nsdf_shapes", frozen, name = "Shape")]
struct PyShape {
    shape: nsdf::Shape,
    bytes: Bytes,
}

impl PyShape {
    fn new(py: Python<'_>, bytes: Bytes) -> PyResult<PyShape> {
        let shape = py
            .detach(|| nsdf::Shape::from_bytes(bytes.as_slice()))
            .map_err(|e| format_error(py, e))?;
        Ok(PyShape { shape, bytes })
    }
}

#[pymethods]
impl PyShape {
    /// Parses and validates `.nsdf` bytes.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<PyShape> {
        PyShape::new(py, Bytes::Owned(data.to_vec()))
    }

    /// The file's bytes, exactly as read.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, pyo3::types::PyBytes> {
        pyo3::types::PyBytes::new(py, self.bytes.as_slice())
    }

    /// Writes the file to `path` atomically (a temporary file, then a rename).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| nsdf::write_atomic(&path, self.bytes.as_slice()))
            .map_err(|e| format_error(py, e))
    }

    /// Signed distances at `points` (an (N, 3) array-like, world units): (N,) float32,
    /// negative inside.
    fn distance<'py>(
        &self,
        py: Python<'py>,
        points: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let pts = points_arg(py, points, "points")?;
        let out = py.detach(|| {
            let mut out = vec![0.0f32; pts.len()];
            self.shape.distances(&pts, &mut out);
            out
        });
        Ok(PyArray1::from_vec(py, out))
    }

    /// Same as `distance`.
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        points: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        self.distance(py, points)
    }

    /// The analytic gradient of the distance at `points`: (N, 3) float32.
    fn gradient<'py>(
        &self,
        py: Python<'py>,
        points: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let pts = points_arg(py, points, "points")?;
        let n = pts.len();
        let grad = py.detach(|| {
            let mut dist = vec![0.0f32; n];
            let mut flat = vec![0.0f32; 3 * n];
            let grad = flat.as_chunks_mut::<3>().0;
            self.shape.gradients(&pts, &mut dist, grad);
            flat
        });
        PyArray1::from_vec(py, grad).reshape([n, 3])
    }

    /// The shape's world bounding box: a (2, 3) float32 array [min, max].
    #[getter]
    fn bounds<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let b = self.shape.bounds();
        PyArray1::from_vec(py, b.concat()).reshape([2, 3])
    }

    /// Everything the file says about itself: the keys of `nsdf info --json` (architecture,
    /// parameters, bytes, schemes, transform, stored accuracy, metadata).
    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        info(py, &self.shape)
    }

    /// The layers' dequantized weights as the evaluator uses them: a list of dicts with
    /// `weight` (outputs × inputs float32), `bias`, `activation` and `activation_param`.
    fn layers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for l in &self.shape.model().layers {
            let d = PyDict::new(py);
            d.set_item(
                "weight",
                PyArray1::from_slice(py, &l.weights).reshape([l.outputs, l.inputs])?,
            )?;
            d.set_item("bias", PyArray1::from_slice(py, &l.bias))?;
            d.set_item("activation", l.activation.name())?;
            d.set_item("activation_param", activation_param(l.activation))?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// A hash grid's features as the evaluator uses them (float32, `(entries, features)`, every
    /// level's entries one after another), or `None` for a shape without a grid.
    fn grid_values<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f32>>>> {
        let Some(g) = &self.shape.model().grid else {
            return Ok(None);
        };
        let rows = g.values.len() / g.features;
        Ok(Some(
            PyArray1::from_slice(py, &g.values).reshape([rows, g.features])?,
        ))
    }

    /// A watertight triangle mesh of the zero level set (sparse marching cubes, `resolution`
    /// cells along the longest side of the bounds plus 2%): `(vertices (V, 3) float32, faces
    /// (F, 3) uint32)` in world units.
    #[pyo3(signature = (resolution = 256))]
    fn mesh<'py>(&self, py: Python<'py>, resolution: usize) -> PyResult<MeshArrays<'py>> {
        let params = nsdf_mesh::surface::Params {
            resolution,
            bounds: nsdf_mesh::surface::padded(self.shape.bounds(), 0.02),
            lipschitz: None,
            dense: false,
        };
        let x = py
            .detach(|| nsdf_mesh::surface::extract(&self.shape, &params))
            .map_err(PyValueError::new_err)?;
        let (v, f) = (x.mesh.positions.len(), x.mesh.triangles.len());
        let vertices = PyArray1::from_vec(py, x.mesh.positions.concat()).reshape([v, 3])?;
        let faces = PyArray1::from_vec(py, x.mesh.triangles.concat()).reshape([f, 3])?;
        Ok((vertices, faces))
    }

    /// The signed distance at the texel centres of a box around the shape, sampled as `nsdf
    /// bake` does: `(values, box_min, texel_size)` with `values` an `(nz, ny, nx)` float32
    /// array (index `[k, j, i]` is the point `box_min + (i, j, k) · texel_size + texel_size / 2`),
    /// world units, negative inside. `resolution` texels along the longest side of the bounds
    /// grown by `margin` (a fraction of that side).
    #[pyo3(signature = (resolution = 128, margin = 0.05))]
    fn grid<'py>(
        &self,
        py: Python<'py>,
        resolution: usize,
        margin: f32,
    ) -> PyResult<GridArrays<'py>> {
        let volume = nsdf_bake::Volume::around(self.shape.bounds(), resolution, margin)
            .map_err(PyValueError::new_err)?;
        if volume.texels() > MAX_GRID_TEXELS {
            return Err(PyValueError::new_err(format!(
                "a {}x{}x{} grid is over {MAX_GRID_TEXELS} texels; bake it to a file with Shape.bake",
                volume.dims[0], volume.dims[1], volume.dims[2]
            )));
        }
        let options = nsdf_bake::Options {
            volume: volume.clone(),
            texel: nsdf_bake::Texel::F32,
            container: nsdf_bake::Container::Raw,
            band: None,
            exact: false,
        };
        let bytes = py
            .detach(|| {
                let mut out = Vec::with_capacity(volume.texels() as usize * 4);
                nsdf_bake::bake(&self.shape, &options, "", &mut out, &mut |_, _| {
                    ControlFlow::Continue(())
                })
                .map(|_| out)
            })
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let [nx, ny, nz] = volume.dims;
        let values = PyArray1::from_vec(py, values).reshape([nz, ny, nx])?;
        Ok((
            values,
            PyArray1::from_vec(py, volume.min.to_vec()),
            volume.texel,
        ))
    }

    /// Bakes the distance field into a 3D texture file for engines, as `nsdf bake` does:
    /// `path` ending in `.ktx2`, `.dds` or `.raw`, `texel` "f16" or "f32", `band` a width in
    /// world units to clamp to (or None); the JSON sidecar goes beside it (`.json`). Both files
    /// are written whole or not at all. `source` names the shape in the sidecar (default: its
    /// `nsdf.name` metadata); `exact=True` bakes the distance to the network's zero set, as
    /// `nsdf bake --exact`. Returns a dict: texels, evaluated, min, max, bytes, sidecar (its
    /// path, a `pathlib.Path`).
    #[pyo3(signature = (path, resolution = 128, texel = "f16", band = None, margin = 0.05, source = None, exact = false))]
    #[allow(clippy::too_many_arguments)]
    fn bake<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        resolution: usize,
        texel: &str,
        band: Option<f32>,
        margin: f32,
        source: Option<String>,
        exact: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let container = nsdf_bake::Container::from_path(&path).map_err(PyValueError::new_err)?;
        let texel = match texel {
            "f16" => nsdf_bake::Texel::F16,
            "f32" => nsdf_bake::Texel::F32,
            t => {
                return Err(PyValueError::new_err(format!(
                    "texel must be \"f16\" or \"f32\", got {t:?}"
                )))
            }
        };
        if let Some(w) = band.filter(|w| !(w.is_finite() && *w > 0.0)) {
            return Err(PyValueError::new_err(format!(
                "band must be a positive width in world units, got {w}"
            )));
        }
        let options = nsdf_bake::Options {
            volume: nsdf_bake::Volume::around(self.shape.bounds(), resolution, margin)
                .map_err(PyValueError::new_err)?,
            texel,
            container,
            band,
            exact,
        };
        let source = source.unwrap_or_else(|| match self.shape.meta("nsdf.name") {
            Some(Value::String(name)) => name.clone(),
            _ => String::new(),
        });
        let v = &options.volume;
        let params = redistance::params([v.min, v.max()], resolution.max(RESOLUTION));
        let redistanced = match exact {
            true => Some(
                py.detach(|| Redistanced::new(&self.shape, &params))
                    .map_err(PyValueError::new_err)?,
            ),
            false => None,
        };
        let (baked, sidecar) = py
            .detach(|| {
                let field: &dyn Field = match &redistanced {
                    Some(r) => r,
                    None => &self.shape,
                };
                nsdf_bake::bake_file(field, &options, &source, &path, &mut |_, _| {
                    ControlFlow::Continue(())
                })
            })
            .map_err(|e| match e {
                nsdf_bake::BakeError::Write(e) => format_error(py, e),
                e => PyValueError::new_err(e.to_string()),
            })?;
        let d = PyDict::new(py);
        d.set_item("texels", baked.texels)?;
        d.set_item("evaluated", baked.evaluated)?;
        d.set_item("min", baked.min)?;
        d.set_item("max", baked.max)?;
        d.set_item("bytes", baked.bytes)?;
        d.set_item("sidecar", sidecar)?;
        Ok(d)
    }

    /// A sphere-traced picture like `nsdf render`: (height, width, 3) uint8 sRGB, the camera
    /// at `azimuth`/`elevation` degrees looking at the bounds' centre.
    #[pyo3(signature = (width = 512, height = 512, azimuth = 30.0, elevation = 20.0, fov = 30.0))]
    fn render<'py>(
        &self,
        py: Python<'py>,
        width: u32,
        height: u32,
        azimuth: f32,
        elevation: f32,
        fov: f32,
    ) -> PyResult<Bound<'py, PyArray3<u8>>> {
        let view = nsdf_render::View {
            width,
            height,
            azimuth,
            elevation,
            fov,
        };
        let bounds = nsdf_mesh::surface::padded(self.shape.bounds(), 0.0);
        let r = py
            .detach(|| {
                nsdf_render::render(&self.shape, bounds, &view, &nsdf_render::Options::default())
            })
            .map_err(PyValueError::new_err)?;
        let (w, h) = (r.image.width as usize, r.image.height as usize);
        PyArray1::from_vec(py, r.image.rgb).reshape([h, w, 3])
    }

    /// Measures the shape against a mesh file, as `nsdf compare --json` does for the network
    /// (field accuracy near the surface and in the box, normals, Chamfer and Hausdorff of the
    /// zero set, and `mesh_*` of the marching-cubes mesh that found it); a dict of
    /// `nsdf compare`'s `net_*` keys without the prefix.
    #[pyo3(signature = (mesh, resolution = 128, samples = 100_000, seed = 0))]
    fn compare<'py>(
        &self,
        py: Python<'py>,
        mesh: PathBuf,
        resolution: usize,
        samples: usize,
        seed: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        if !(100..=10_000_000).contains(&samples) {
            return Err(PyValueError::new_err(format!(
                "samples must be between 100 and 10,000,000, got {samples}"
            )));
        }
        let measured = py.detach(|| -> Result<_, String> {
            let loaded = nsdf_mesh::load(&mesh).map_err(|e| e.to_string())?;
            let reference = nsdf_mesh::metrics::Reference::new(loaded.mesh, samples, seed);
            let mut m =
                nsdf_mesh::metrics::measure_shape(&self.shape, &reference, resolution, seed)?;
            m.bytes = Some(self.shape.file_len());
            Ok(m.values(reference.radius))
        });
        let pairs = measured.map_err(|m| error(py, m, "mesh", None))?;
        let d = PyDict::new(py);
        for (k, v) in pairs {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let m = self.shape.model();
        let hidden: Vec<String> = m.layers[..m.layers.len().saturating_sub(1)]
            .iter()
            .map(|l| l.outputs.to_string())
            .collect();
        format!(
            "<nsdf_shapes.Shape: {} bytes, {} parameters, hidden [{}], {}>",
            self.shape.file_len(),
            self.shape.parameter_count(),
            hidden.join(", "),
            m.layers.first().map_or("?", |l| l.scheme.name())
        )
    }
}

/// `(vertices (V, 3) float32, faces (F, 3) uint32)`.
type MeshArrays<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<u32>>);
type GridArrays<'py> = (Bound<'py, PyArray3<f32>>, Bound<'py, PyArray1<f32>>, f32);

/// Largest `Shape.grid` (2²⁸ texels: 1 GiB of float32); larger volumes stream to a file.
const MAX_GRID_TEXELS: u64 = 1 << 28;

fn activation_param(a: Activation) -> Option<f32> {
    match a {
        Activation::LeakyRelu(p) | Activation::Sine(p) => Some(p),
        _ => None,
    }
}

fn info<'py>(py: Python<'py>, shape: &nsdf::Shape) -> PyResult<Bound<'py, PyDict>> {
    let model = shape.model();
    let (major, minor) = shape.version();
    let layers = PyList::empty(py);
    for l in &model.layers {
        let d = PyDict::new(py);
        d.set_item("inputs", l.inputs)?;
        d.set_item("outputs", l.outputs)?;
        d.set_item("activation", l.activation.name())?;
        d.set_item("activation_param", activation_param(l.activation))?;
        d.set_item("weights", l.scheme.name())?;
        d.set_item("parameters", l.inputs * l.outputs + l.outputs)?;
        layers.append(d)?;
    }
    let encoding = PyDict::new(py);
    match model.encoding {
        Encoding::None => encoding.set_item("type", "none")?,
        Encoding::Fourier { frequencies } => {
            encoding.set_item("type", "fourier")?;
            encoding.set_item("frequencies", frequencies)?;
        }
        Encoding::HashGrid { .. } => {
            encoding.set_item("type", "hashgrid")?;
            if let Some(g) = &model.grid {
                encoding.set_item("levels", g.levels())?;
                encoding.set_item("features_per_level", g.features)?;
                encoding.set_item("log2_table", g.log2_table)?;
                encoding.set_item("resolutions", g.resolutions.clone())?;
                encoding.set_item("scheme", g.scheme.name())?;
            }
        }
    }
    encoding.set_item("features", model.encoding.output_dim())?;
    let architecture = PyDict::new(py);
    architecture.set_item("encoding", encoding)?;
    architecture.set_item("parameters", model.parameter_count())?;
    architecture.set_item("layers", layers)?;

    let t = shape.transform();
    let transform = PyDict::new(py);
    transform.set_item("scale", t.scale)?;
    transform.set_item("translation", t.translation.to_vec())?;
    transform.set_item("distance_scale", t.distance_scale)?;
    let bounds = PyDict::new(py);
    bounds.set_item("min", t.bounds[0].to_vec())?;
    bounds.set_item("max", t.bounds[1].to_vec())?;
    transform.set_item("bounds", bounds)?;

    let metadata = PyDict::new(py);
    for (k, v) in &model.metadata {
        match v {
            Value::String(s) => metadata.set_item(k, s)?,
            Value::Int(i) => metadata.set_item(k, i)?,
            Value::Float(x) => metadata.set_item(k, x)?,
        }
    }
    let stats = match shape.stats() {
        None => None,
        Some(s) => {
            let d = PyDict::new(py);
            d.set_item("surface_mean_error", s.surface_mean_error)?;
            d.set_item("surface_max_error", s.surface_max_error)?;
            d.set_item("near_sign_agreement", s.near_sign_agreement)?;
            d.set_item("near_sigma", s.near_sigma)?;
            d.set_item("volume_sign_agreement", s.volume_sign_agreement)?;
            d.set_item("gradient_bound", s.gradient_bound)?;
            d.set_item("surface_samples", s.surface_samples)?;
            d.set_item("volume_samples", s.volume_samples)?;
            Some(d)
        }
    };
    let schemes: Vec<&str> = {
        let mut s: Vec<&str> = model.layers.iter().map(|l| l.scheme.name()).collect();
        s.dedup();
        s
    };
    let d = PyDict::new(py);
    d.set_item("version", format!("{major}.{minor}"))?;
    d.set_item("file_size", shape.file_len())?;
    d.set_item("architecture", architecture)?;
    d.set_item("schemes", schemes)?;
    d.set_item("transform", transform)?;
    d.set_item("metadata", metadata)?;
    d.set_item("stats", stats)?;
    d.set_item("lipschitz_bound", shape.network().lipschitz_bound())?;
    Ok(d)
}

/// Opens a `.nsdf` file (memory-mapped; the map stays open while the shape lives, so the file
/// must not be truncated meanwhile: use `Shape.from_bytes(open(p, "rb").read())` where it may).
#[pyfunction]
fn open(py: Python<'_>, path: PathBuf) -> PyResult<PyShape> {
    let bytes = py
        .detach(|| map_file(&path))
        .map_err(|e| format_error(py, e))?;
    PyShape::new(py, bytes)
}

fn map_file(path: &Path) -> Result<Bytes, nsdf::Error> {
    let io = |source| nsdf::Error::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > nsdf::limits::MAX_FILE_LEN {
        return Err(nsdf::Error::LimitExceeded {
            offset: 0,
            what: "file length",
            value: len,
            limit: nsdf::limits::MAX_FILE_LEN,
        });
    }
    if len == 0 {
        return Ok(Bytes::Owned(Vec::new()));
    }
    // SAFETY: read-only map; a file truncated underneath raises SIGBUS (documented on `open`).
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(m) => Ok(Bytes::Map(m)),
        // Pipes and some special file systems cannot be mapped: read them instead.
        Err(_) => std::fs::read(path).map(Bytes::Owned).map_err(io),
    }
}

/// The mesh to pack: a path (of a mesh or a point cloud), or `(vertices, faces)` arrays.
fn mesh_arg(
    py: Python<'_>,
    mesh: &Bound<'_, PyAny>,
) -> PyResult<(nsdf_mesh::Input, PathBuf, Vec<u8>)> {
    if let Ok(path) = mesh.extract::<PathBuf>() {
        let (loaded, source) = py
            .detach(|| packing::load_input_file(&path))
            .map_err(|e| pack_error(py, e))?;
        return Ok((loaded, path, source));
    }
    let bad = || {
        PyValueError::new_err(format!(
            "mesh must be a path or a (vertices, faces) pair of arrays, got {}",
            type_name(mesh)
        ))
    };
    let (v, f): (Bound<'_, PyAny>, Bound<'_, PyAny>) = mesh.extract().map_err(|_| bad())?;
    let vertices = points_arg(py, &v, "vertices")?;
    let faces = faces_arg(py, &f)?;
    let mut source = Vec::with_capacity(12 * (vertices.len() + faces.len()));
    for p in &vertices {
        p.iter().for_each(|x| source.extend(x.to_le_bytes()));
    }
    for t in &faces {
        t.iter().for_each(|i| source.extend(i.to_le_bytes()));
    }
    let loaded = nsdf_mesh::Mesh::from_soup(vertices, faces)
        .map_err(|e| error(py, format!("(vertices, faces): {e}"), "mesh", None))?;
    Ok((
        nsdf_mesh::Input::Mesh(loaded),
        PathBuf::from("arrays"),
        source,
    ))
}

/// An `(F, 3)` array-like of vertex indices as u32 (negative or too large indices refused).
fn faces_arg(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Vec<[u32; 3]>> {
    let np = py.import("numpy")?;
    let array = np.call_method1("asarray", (obj,))?;
    let kind: String = array.getattr("dtype")?.getattr("kind")?.extract()?;
    if !matches!(kind.as_str(), "i" | "u") {
        return Err(PyValueError::new_err(format!(
            "faces must hold integers, got dtype {}",
            array.getattr("dtype")?.str()?
        )));
    }
    let array = np.call_method1("ascontiguousarray", (array, "int64"))?;
    let array = array.cast_into::<PyArray2<i64>>().map_err(|_| {
        PyValueError::new_err(format!(
            "faces must have shape (F, 3), got {}",
            obj_shape(obj)
        ))
    })?;
    if array.shape()[1] != 3 {
        return Err(PyValueError::new_err(format!(
            "faces must have shape (F, 3), got {:?}",
            array.shape()
        )));
    }
    let readonly = array.readonly();
    let mut out = Vec::with_capacity(array.shape()[0]);
    for (k, t) in readonly.as_slice()?.as_chunks::<3>().0.iter().enumerate() {
        let tri = t.map(|i| u32::try_from(i).ok());
        match tri {
            [Some(a), Some(b), Some(c)] => out.push([a, b, c]),
            _ => {
                return Err(PyValueError::new_err(format!(
                    "faces[{k}] = {t:?}: indices must be between 0 and 2^32 - 1"
                )))
            }
        }
    }
    Ok(out)
}

/// Trains a shape of `mesh` (a path of a mesh or point cloud, or a `(vertices, faces)` pair)
/// as `nsdf pack` does; `recipe` is `"davies"`, `"curriculum"`, `"siren"`, `"sal"` or `"sald"` (point clouds: sal
/// unless sald).
#[pyfunction]
#[pyo3(signature = (mesh, *, budget=None, quant=None, epochs=None, seed=0, threads=None, progress=None, layers=None, width=None, activation=None, keep_inaccurate=false, time_budget=None, recipe=None, encoding=None))]
#[allow(clippy::too_many_arguments)]
fn pack(
    py: Python<'_>,
    mesh: &Bound<'_, PyAny>,
    budget: Option<usize>,
    quant: Option<&str>,
    epochs: Option<usize>,
    seed: u64,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
    layers: Option<usize>,
    width: Option<usize>,
    activation: Option<&str>,
    keep_inaccurate: bool,
    time_budget: Option<f64>,
    recipe: Option<&str>,
    encoding: Option<&str>,
) -> PyResult<PyShape> {
    let activation: Option<Activation> = activation
        .map(str::parse)
        .transpose()
        .map_err(PyValueError::new_err)?;
    let scheme: Scheme = match quant {
        Some(q) => q.parse().map_err(PyValueError::new_err)?,
        None => nsdf_train::TrainConfig::default().scheme,
    };
    let mut fit = FitConfig::for_activation(activation.unwrap_or(Activation::Relu));
    if let Some(r) = recipe {
        fit = fit.with_recipe(r.parse::<Recipe>().map_err(PyValueError::new_err)?);
    }
    match encoding.map(str::parse::<InputEncoding>).transpose() {
        Err(e) => return Err(PyValueError::new_err(e)),
        Ok(Some(_)) if budget.is_some() => {
            return Err(PyValueError::new_err(
                "give budget or encoding, not both (a budget chooses the encoding)",
            ))
        }
        Ok(Some(InputEncoding::HashGrid(g))) => fit = fit.with_grid(g),
        Ok(Some(InputEncoding::Plain(e))) => fit.arch.encoding = e,
        Ok(None) => {}
    }
    if budget.is_some() && (layers.is_some() || width.is_some()) {
        return Err(PyValueError::new_err(
            "give budget, or layers and width, not both",
        ));
    }
    fit.arch.layers = at_most("layers", layers, packing::MAX_LAYERS)?.unwrap_or(fit.arch.layers);
    fit.arch.width = at_most("width", width, packing::MAX_WIDTH)?.unwrap_or(fit.arch.width);
    let epochs = at_most("epochs", epochs, packing::MAX_EPOCHS)?;
    fit.train.epochs = epochs.unwrap_or(fit.train.epochs);
    if let Some(t) = time_budget {
        if !(t.is_finite() && t > 0.0 && t < 1e9) {
            return Err(PyValueError::new_err(format!(
                "time_budget must be a positive number of seconds, got {t}"
            )));
        }
        fit.train.time_budget = Some(Duration::from_secs_f64(t));
    }
    fit.train.seed = seed;
    fit = fit.with_scheme(scheme);
    let opts = Options {
        fit,
        probe: 100_000,
        threads: threads.unwrap_or(0),
        keep_inaccurate,
        budget,
        epochs,
        activation,
        default_budget: false,
    }
    .with_default_budget(layers.is_some() || width.is_some() || encoding.is_some());
    let (loaded, input, source) = mesh_arg(py, mesh)?;

    // The work runs on its own thread; this one waits with the GIL released and looks for
    // Ctrl-C (Python runs signal handlers on the main thread only) every 50 ms.
    let cancel = AtomicBool::new(false);
    let callback_error: std::sync::Mutex<Option<PyErr>> = std::sync::Mutex::new(None);
    let result = std::thread::scope(|s| {
        let worker = s.spawn(|| {
            let mut events = |e: Event<'_>| -> ControlFlow<()> {
                if cancel.load(Ordering::Relaxed) {
                    return ControlFlow::Break(());
                }
                let Some(cb) = &progress else {
                    return ControlFlow::Continue(());
                };
                Python::attach(|py| match event_dict(py, &e) {
                    Ok(Some(d)) => match cb.call1(py, (d,)) {
                        Ok(_) => ControlFlow::Continue(()),
                        Err(err) => {
                            *callback_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(err);
                            ControlFlow::Break(())
                        }
                    },
                    Ok(None) => ControlFlow::Continue(()),
                    Err(_) => ControlFlow::Continue(()),
                })
            };
            packing::with_threads(opts.threads, || match loaded {
                nsdf_mesh::Input::Mesh(mesh) => {
                    packing::pack_mesh(mesh, &input, &source, &opts, &mut events)
                }
                nsdf_mesh::Input::Points(cloud) => {
                    packing::pack_points(&cloud, &input, &source, &opts, &mut events)
                }
            })
            .and_then(|r| r)
        });
        loop {
            if worker.is_finished() {
                break;
            }
            py.detach(|| std::thread::sleep(Duration::from_millis(50)));
            if let Err(e) = py.check_signals() {
                cancel.store(true, Ordering::Relaxed);
                *callback_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
            }
        }
        worker.join()
    });
    let result = result.map_err(|_| PyException::new_err("packing panicked"))?;
    if let Some(e) = callback_error
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
    {
        return Err(e);
    }
    let (bytes, _) = result.map_err(|e| pack_error(py, e))?;
    PyShape::new(py, Bytes::Owned(bytes))
}

/// A progress event as a dict (None for events not worth a call).
fn event_dict<'py>(py: Python<'py>, e: &Event<'_>) -> PyResult<Option<Bound<'py, PyDict>>> {
    let d = PyDict::new(py);
    match e {
        Event::Phase(name) => {
            d.set_item("event", "phase")?;
            d.set_item("phase", *name)?;
        }
        Event::Training(p) => {
            d.set_item("event", "training")?;
            d.set_item("phase", p.phase.name())?;
            d.set_item("fraction", p.fraction)?;
            d.set_item("epoch", p.epoch)?;
            d.set_item("epochs", p.epochs)?;
            d.set_item("loss", p.loss)?;
            d.set_item("samples_per_second", p.samples_per_second)?;
            let elapsed = p.elapsed.as_secs_f64();
            d.set_item("elapsed", elapsed)?;
            let eta = if p.fraction > 0.0 {
                Some(elapsed * (1.0 - p.fraction as f64) / p.fraction as f64)
            } else {
                None
            };
            d.set_item("eta", eta)?;
        }
        Event::Warning { warning, .. } => {
            d.set_item("event", "warning")?;
            d.set_item("message", warning.to_string())?;
        }
        Event::Retrain { retry, .. } => {
            d.set_item("event", "warning")?;
            d.set_item("message", packing::retrain_message(*retry))?;
        }
        Event::Choice { choice, .. } => {
            d.set_item("event", "note")?;
            d.set_item("message", packing::choice_message(*choice))?;
        }
        Event::Start { .. } => return Ok(None),
    }
    Ok(Some(d))
}

#[pymodule]
fn _nsdf(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyShape>()?;
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_function(wrap_pyfunction!(pack, m)?)?;
    m.add("NsdfError", m.py().get_type::<NsdfError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
