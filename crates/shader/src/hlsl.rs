//! HLSL spelling of the shader (Shader Model 5 and later; DXC and glslang's HLSL front end).

use super::{shortest, Syntax, TableBinding};

pub struct Hlsl;

impl Syntax for Hlsl {
    fn float(&self, x: f32) -> String {
        // Without the `f` suffix HLSL literals are "literal float", evaluated at double precision.
        format!("{}f", shortest(x))
    }
    fn mat4(&self, m: [[f32; 4]; 4]) -> String {
        // HLSL constructors fill row by row, and `mul(M, v)` takes dot products with M's rows.
        let v: Vec<String> = m.iter().flatten().map(|&w| self.float(w)).collect();
        format!("float4x4({})", v.join(", "))
    }
    fn mat_vec(&self, m: &str, x: &str) -> String {
        format!("mul({m}, {x})")
    }
    fn mat_t_vec(&self, m: &str, g: &str) -> String {
        format!("mul({g}, {m})")
    }
    fn const_vec4_array(&self, name: &str, items: &[String]) -> String {
        let n = items.len();
        format!(
            "static const float4 {name}[{n}] = {{\n    {}\n}};",
            items.join(",\n    ")
        )
    }
    fn const_mat4_array(&self, name: &str, items: &[String]) -> String {
        let n = items.len();
        format!(
            "static const float4x4 {name}[{n}] = {{\n    {}\n}};",
            items.join(",\n    ")
        )
    }
    fn const_float(&self, name: &str, value: f32) -> String {
        format!("static const float {name} = {};", self.float(value))
    }
    fn const_vec3(&self, name: &str, v: [f32; 3]) -> String {
        let [x, y, z] = v.map(|c| self.float(c));
        format!("static const float3 {name} = float3({x}, {y}, {z});")
    }
    fn distance_header(&self, fn_name: &str) -> String {
        format!("float {fn_name}(float3 p) {{")
    }
    fn gradient_header(&self, fn_name: &str) -> String {
        format!("float4 {fn_name}(float3 p) {{")
    }
    fn let_vec3(&self, name: &str, init: &str) -> String {
        format!("float3 {name} = {init};")
    }
    fn let_vec4(&self, name: &str, init: &str) -> String {
        format!("float4 {name} = {init};")
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
        format!("uint3 {name} = {init};")
    }
    fn table_buffer(&self, name: &str, at: TableBinding) -> String {
        // D3D reads the register (`space` needs Shader Model 5.1, so only when not 0); DXC and
        // glslang compiling to SPIR-V read `vk::binding`.
        let TableBinding { group, binding } = at;
        let space = match group {
            0 => String::new(),
            g => format!(", space{g}"),
        };
        format!(
            "[[vk::binding({binding}, {group})]] StructuredBuffer<float> {name} : register(t{binding}{space});"
        )
    }
    fn vec3(&self, xyz: &str) -> String {
        format!("float3({xyz})")
    }
    fn uvec3(&self, xyz: &str) -> String {
        format!("uint3({xyz})")
    }
    fn vec4(&self, xyzw: &str) -> String {
        format!("float4({xyzw})")
    }
}
