//! GLSL spelling of the shader (GLSL 4.50 and GLSL ES 3.00: constant arrays, `f` suffixes; the
//! hash-grid table's storage buffer needs GLSL 4.30 or ES 3.10).

use super::{shortest, Syntax, TableBinding};

pub struct Glsl;

impl Syntax for Glsl {
    fn float(&self, x: f32) -> String {
        // The `f` suffix keeps compilers from reading the literal as a double first.
        format!("{}f", shortest(x))
    }
    fn mat4(&self, m: [[f32; 4]; 4]) -> String {
        // GLSL constructors fill column by column, and `M * v` sums M's columns.
        let v: Vec<String> = (0..16).map(|i| self.float(m[i % 4][i / 4])).collect();
        format!("mat4({})", v.join(", "))
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
            "const vec4 {name}[{n}] = vec4[{n}](\n    {}\n);",
            items.join(",\n    ")
        )
    }
    fn const_mat4_array(&self, name: &str, items: &[String]) -> String {
        let n = items.len();
        format!(
            "const mat4 {name}[{n}] = mat4[{n}](\n    {}\n);",
            items.join(",\n    ")
        )
    }
    fn const_float(&self, name: &str, value: f32) -> String {
        format!("const float {name} = {};", self.float(value))
    }
    fn const_vec3(&self, name: &str, v: [f32; 3]) -> String {
        let [x, y, z] = v.map(|c| self.float(c));
        format!("const vec3 {name} = vec3({x}, {y}, {z});")
    }
    fn distance_header(&self, fn_name: &str) -> String {
        format!("float {fn_name}(vec3 p) {{")
    }
    fn gradient_header(&self, fn_name: &str) -> String {
        format!("vec4 {fn_name}(vec3 p) {{")
    }
    fn let_vec3(&self, name: &str, init: &str) -> String {
        format!("vec3 {name} = {init};")
    }
    fn let_vec4(&self, name: &str, init: &str) -> String {
        format!("vec4 {name} = {init};")
    }
    fn var_vec3(&self, name: &str, init: &str) -> String {
        self.let_vec3(name, init)
    }
    fn let_float(&self, name: &str, init: &str) -> String {
        format!("float {name} = {init};")
    }
    fn let_uint(&self, name: &str, init: &str) -> String {
        format!("uint {name} = {init};")
    }
    fn let_uvec3(&self, name: &str, init: &str) -> String {
        format!("uvec3 {name} = {init};")
    }
    fn table_buffer(&self, name: &str, at: TableBinding) -> String {
        // `set` is Vulkan GLSL only; OpenGL's GLSL rejects it, and set 0 is the default.
        let set = match at.group {
            0 => String::new(),
            g => format!("set = {g}, "),
        };
        format!(
            "layout(std430, {set}binding = {}) readonly buffer {name}_block {{ float {name}[]; }};",
            at.binding
        )
    }
    fn vec3(&self, xyz: &str) -> String {
        format!("vec3({xyz})")
    }
    fn uvec3(&self, xyz: &str) -> String {
        format!("uvec3({xyz})")
    }
    fn vec4(&self, xyzw: &str) -> String {
        format!("vec4({xyzw})")
    }
    fn splat4(&self, x: f32) -> String {
        format!("vec4({})", self.float(x))
    }
}
