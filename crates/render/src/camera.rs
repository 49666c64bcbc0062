//! An orbit camera that frames a bounding box, Y up (the convention of most OBJ meshes).

/// Where the picture is taken from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub width: u32,
    pub height: u32,
    /// Degrees around the vertical (Y) axis; 0 looks along -Z.
    pub azimuth: f32,
    /// Degrees above the horizon.
    pub elevation: f32,
    /// Vertical field of view, degrees.
    pub fov: f32,
}

impl Default for View {
    fn default() -> View {
        View {
            width: 512,
            height: 512,
            azimuth: 30.0,
            elevation: 20.0,
            fov: 30.0,
        }
    }
}

/// A pinhole camera: primary rays through pixel centres.
#[derive(Clone, Copy, Debug)]
pub struct Camera {
    pub eye: [f32; 3],
    pub forward: [f32; 3],
    pub right: [f32; 3],
    pub up: [f32; 3],
    /// tan(fov/2).
    tan_half: f32,
    width: u32,
    height: u32,
}

pub fn normalize(v: [f32; 3]) -> [f32; 3] {
    let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-30);
    v.map(|x| x / l)
}

pub fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

impl Camera {
    /// A camera on a sphere around `bounds` so the whole box is in view.
    pub fn framing(bounds: [[f32; 3]; 2], view: &View) -> Camera {
        let [lo, hi] = bounds;
        let centre = [0, 1, 2].map(|a| 0.5 * (lo[a] + hi[a]));
        let radius = 0.5 * (0..3).map(|a| (hi[a] - lo[a]).powi(2)).sum::<f32>().sqrt();
        let tan_half = (view.fov.to_radians() * 0.5).tan();
        let aspect_min = (view.width as f32 / view.height as f32).min(1.0);
        let distance = radius / (tan_half * aspect_min).atan().sin() * 1.02;
        let (az, el) = (view.azimuth.to_radians(), view.elevation.to_radians());
        let dir = [el.cos() * az.sin(), el.sin(), el.cos() * az.cos()];
        let eye = [0, 1, 2].map(|a| centre[a] + distance * dir[a]);
        let forward = normalize(dir.map(|x| -x));
        let mut right = cross(forward, [0.0, 1.0, 0.0]);
        if dot(right, right) < 1e-12 {
            // Looking straight up or down: any horizontal right vector will do.
            right = [1.0, 0.0, 0.0];
        }
        let right = normalize(right);
        let up = cross(right, forward);
        Camera {
            eye,
            forward,
            right,
            up,
            tan_half,
            width: view.width,
            height: view.height,
        }
    }

    /// Unit direction of the ray through the centre of pixel (x, y), y down.
    pub fn ray(&self, x: u32, y: u32) -> [f32; 3] {
        let aspect = self.width as f32 / self.height as f32;
        let u = (2.0 * (x as f32 + 0.5) / self.width as f32 - 1.0) * self.tan_half * aspect;
        let v = (1.0 - 2.0 * (y as f32 + 0.5) / self.height as f32) * self.tan_half;
        normalize([0, 1, 2].map(|a| self.forward[a] + u * self.right[a] + v * self.up[a]))
    }

    /// Half the width of one pixel's footprint at distance `t`.
    pub fn pixel_radius(&self, t: f32) -> f32 {
        t * self.tan_half / self.height as f32
    }
}
