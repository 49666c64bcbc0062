//! WGSL spelling of the shader (WebGPU; checked with naga).

use super::{shortest, Syntax, TableBinding};

pub struct Wgsl;

impl Syntax for Wgsl {
    fn float(&self, x: f32) -> String {
        // `f` makes the literal an f32 rather than an abstract float converted later.
        format!("{}f", shortest(x))
    }
    fn mat4(&self, m: [[f32; 4]; 4]) -> String {
        // WGSL constructors fill column by column, and `M * v` sums M's columns.
        let v: Vec<String> = (0..16).map(|i| self.float(m[i % 4][i / 4])).collect();
        format!("mat4x4<f32>({})", v.join(", "))
    }
    fn mat_vec(&self, m: &str, x: &str) -> String {
        format!("{m} * {x}")
    }
    fn mat_t_vec(&self, m: &str, g: &str) -> String {
        format!("{g} * {m}")
    }
    fn const_vec4_array(&self, name: &str, items: &[String]) -> String {
        let n = items.len();
        format!(
            "const {name} = array<vec4<f32>, {n}>(\n    {}\n);",
            items.join(",\n    ")
        )
    }
    fn const_mat4_array(&self, name: &str, items: &[String]) -> String {
        let n = items.len();
        format!(
            "const {name} = array<mat4x4<f32>, {n}>(\n    {}\n);",
            items.join(",\n    ")
        )
    }
    fn const_float(&self, name: &str, value: f32) -> String {
        format!("const {name}: f32 = {};", self.float(value))
    }
    fn const_vec3(&self, name: &str, v: [f32; 3]) -> String {
        let [x, y, z] = v.map(|c| self.float(c));
        format!("const {name} = vec3<f32>({x}, {y}, {z});")
    }
    fn distance_header(&self, fn_name: &str) -> String {
        format!("fn {fn_name}(p: vec3<f32>) -> f32 {{")
    }
    fn gradient_header(&self, fn_name: &str) -> String {
        format!("fn {fn_name}(p: vec3<f32>) -> vec4<f32> {{")
    }
    fn let_vec3(&self, name: &str, init: &str) -> String {
        format!("let {name} = {init};")
    }
    fn let_vec4(&self, name: &str, init: &str) -> String {
        format!("let {name} = {init};")
    }
    fn var_vec3(&self, name: &str, init: &str) -> String {
        format!("var {name} = {init};")
    }
    fn let_float(&self, name: &str, init: &str) -> String {
        format!("let {name}: f32 = {init};")
    }
    fn let_uint(&self, name: &str, init: &str) -> String {
        format!("let {name}: u32 = {init};")
    }
    fn let_uvec3(&self, name: &str, init: &str) -> String {
        format!("let {name}: vec3<u32> = {init};")
    }
    fn table_buffer(&self, name: &str, at: TableBinding) -> String {
        format!(
            "@group({}) @binding({}) var<storage, read> {name}: array<f32>;",
            at.group, at.binding
        )
    }
    fn vec3(&self, xyz: &str) -> String {
        format!("vec3<f32>({xyz})")
    }
    fn uvec3(&self, xyz: &str) -> String {
        format!("vec3<u32>({xyz})")
    }
    fn vec4(&self, xyzw: &str) -> String {
        format!("vec4<f32>({xyzw})")
    }
    fn splat4(&self, x: f32) -> String {
        format!("vec4<f32>({})", self.float(x))
    }
}
