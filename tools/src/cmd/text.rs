//! Formatting shared by the commands' reports: aligned text tables, grouped integers, and f32
//! values in JSON.

use serde_json::Value;

/// Rows of cells printed as left-aligned columns (a column whose header starts with `>` is
/// right-aligned, for numbers).
pub struct Table {
    indent: usize,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table whose first row is `header`; pass an empty header for a table without one.
    pub fn new(indent: usize, header: &[&str]) -> Table {
        let right = header.iter().map(|h| h.starts_with('>')).collect();
        let mut t = Table {
            indent,
            right,
            rows: Vec::new(),
        };
        if !header.is_empty() {
            t.rows.push(
                header
                    .iter()
                    .map(|h| h.trim_start_matches('>').to_string())
                    .collect(),
            );
        }
        t
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, each row ending in a newline, without trailing spaces.
    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let width = |c: usize| {
            self.rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
        };
        let widths: Vec<usize> = (0..columns).map(|c| width(c).unwrap_or(0)).collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = " ".repeat(self.indent);
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                if self.right.get(c).copied().unwrap_or(false) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
                line.push_str("  ");
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// An integer with thousands separators: `7553` → `7,553`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let first = match digits.len() % 3 {
        0 => 3,
        r => r,
    }
    .min(digits.len());
    let mut out = digits[..first].to_string();
    let mut at = first;
    while at < digits.len() {
        out.push(',');
        out.push_str(&digits[at..at + 3]);
        at += 3;
    }
    out
}

/// A rate in points per second, scaled: `16.2 M/s`.
pub fn rate(points_per_s: f64) -> String {
    match points_per_s {
        r if r >= 1e9 => format!("{:.2} G/s", r / 1e9),
        r if r >= 1e6 => format!("{:.2} M/s", r / 1e6),
        r if r >= 1e3 => format!("{:.2} k/s", r / 1e3),
        r => format!("{r:.1} /s"),
    }
}

/// An f32 as a JSON number with the f32's shortest decimal form (`0.1`, not
/// `0.10000000149011612`); `null` if it is not finite.
pub fn json_f32(x: f32) -> Value {
    // f32 Display is the shortest string that reads back to the same f32; as an f64 it
    // prints the same way.
    json_f64(x.to_string().parse::<f64>().unwrap_or(f64::NAN))
}

/// An f64 as a JSON number, `null` if it is not finite.
pub fn json_f64(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// Three f32 values as `[x, y, z]` text.
pub fn vec3(v: [f32; 3]) -> String {
    format!("[{}, {}, {}]", v[0], v[1], v[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(7553), "7,553");
        assert_eq!(group(1_000_000), "1,000,000");
    }

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(2, &["name", ">n"]);
        t.row(vec!["a".into(), "1".into()]);
        t.row(vec!["long".into(), "100".into()]);
        assert_eq!(t.render(), "  name    n\n  a       1\n  long  100\n");
    }

    #[test]
    fn f32_json_is_shortest() {
        assert_eq!(json_f32(0.1).to_string(), "0.1");
        assert_eq!(json_f32(f32::NAN), Value::Null);
    }
}
