//! The input encodings `nsdf pack --encoding` trains: none (Davies), Fourier features, or a
//! multiresolution hash grid ([`GridSpec`]).

use nsdf::{Encoding, HashGrid, Scheme};

/// The shape of a hash grid to train: `levels` levels of `features` features, resolutions
/// growing geometrically from `base` to `finest` cells per axis, tables of `2^log2_table`
/// entries, stored as f16.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridSpec {
    pub levels: usize,
    pub features: usize,
    pub log2_table: u32,
    pub base: u32,
    pub finest: u32,
}

impl GridSpec {
    /// The defaults `--encoding hashgrid` trains. On bunny_hr (3 epochs, 2 cores): a 2^16 table
    /// gives a 3.5 MB file, F1 near 0.9887, surface error 0.00028, 3.1 M distances/s; 2^14 a
    /// 0.98 MB file, 0.9878, 0.00030, 4.3 M/s (the smaller table stays in cache).
    pub const DEFAULT: GridSpec = GridSpec {
        levels: 16,
        features: 2,
        log2_table: 14,
        base: 16,
        finest: 1024,
    };

    /// A grid of zeros of this shape.
    pub fn grid(&self) -> HashGrid {
        HashGrid::geometric(
            self.levels,
            self.features,
            self.log2_table,
            self.base,
            self.finest,
            Scheme::F16,
        )
    }
}

/// An encoding to train: what goes into `ARCH`, and for a hash grid its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputEncoding {
    Plain(Encoding),
    HashGrid(GridSpec),
}

impl InputEncoding {
    pub fn name(&self) -> String {
        match self {
            InputEncoding::Plain(Encoding::Fourier { frequencies }) => {
                format!("fourier:{frequencies}")
            }
            InputEncoding::Plain(_) => "none".into(),
            InputEncoding::HashGrid(g) => format!(
                "hashgrid:levels={},features={},table={},base={},finest={}",
                g.levels, g.features, g.log2_table, g.base, g.finest
            ),
        }
    }
}

/// `none`, `fourier:F` (1 to 16 frequencies) or `hashgrid[:KEY=VALUE,...]` with keys `levels`
/// (1-32), `features` (1, 2, 4, 8), `table` (log2 of the entries, 4-24), `base` and `finest`
/// (cells per axis of the coarsest and finest level).
impl std::str::FromStr for InputEncoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, params) = match s.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (s, None),
        };
        match (name, params) {
            ("none", None) => Ok(InputEncoding::Plain(Encoding::None)),
            ("fourier", Some(p)) => match p.parse::<u32>() {
                Ok(f) if (1..=16).contains(&f) => {
                    Ok(InputEncoding::Plain(Encoding::Fourier { frequencies: f }))
                }
                _ => Err(format!("fourier:{p}: the frequency count must be 1 to 16")),
            },
            ("hashgrid", params) => {
                let mut g = GridSpec::DEFAULT;
                for kv in params.into_iter().flat_map(|p| p.split(',')) {
                    let (k, v) = kv
                        .split_once('=')
                        .ok_or_else(|| format!("hashgrid: '{kv}' is not KEY=VALUE"))?;
                    let v: u32 = v
                        .parse()
                        .map_err(|_| format!("hashgrid: {k}={v}: not a whole number"))?;
                    let ok = match k {
                        "levels" if (1..=32).contains(&v) => {
                            g.levels = v as usize;
                            true
                        }
                        "features" if [1, 2, 4, 8].contains(&v) => {
                            g.features = v as usize;
                            true
                        }
                        "table" if (4..=24).contains(&v) => {
                            g.log2_table = v;
                            true
                        }
                        "base" if (1..=1 << 20).contains(&v) => {
                            g.base = v;
                            true
                        }
                        "finest" if (1..=1 << 20).contains(&v) => {
                            g.finest = v;
                            true
                        }
                        "levels" | "features" | "table" | "base" | "finest" => false,
                        _ => {
                            return Err(format!(
                                "hashgrid: unknown key '{k}' (levels, features, table, base, finest)"
                            ))
                        }
                    };
                    if !ok {
                        return Err(format!(
                            "hashgrid: {k}={v} is out of range (levels 1-32, features 1/2/4/8, table 4-24, base and finest 1-1048576)"
                        ));
                    }
                }
                if g.finest < g.base {
                    return Err(format!(
                        "hashgrid: finest={} is below base={}",
                        g.finest, g.base
                    ));
                }
                Ok(InputEncoding::HashGrid(g))
            }
            _ => Err(format!(
                "unknown encoding '{s}' (expected none, fourier:F or hashgrid[:levels=16,features=2,table=14,base=16,finest=1024])"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_help_says() {
        assert_eq!(
            "hashgrid".parse::<InputEncoding>(),
            Ok(InputEncoding::HashGrid(GridSpec::DEFAULT))
        );
        let g = "hashgrid:levels=8,table=12,finest=256".parse::<InputEncoding>();
        assert_eq!(
            g,
            Ok(InputEncoding::HashGrid(GridSpec {
                levels: 8,
                log2_table: 12,
                finest: 256,
                ..GridSpec::DEFAULT
            }))
        );
        assert_eq!(
            "fourier:4".parse::<InputEncoding>(),
            Ok(InputEncoding::Plain(Encoding::Fourier { frequencies: 4 }))
        );
        for bad in [
            "hashgrid:levels=0",
            "hashgrid:features=3",
            "hashgrid:table=30",
            "hashgrid:depth=3",
            "hashgrid:levels",
            "hashgrid:base=64,finest=32",
            "fourier",
            "fourier:17",
            "grid",
        ] {
            assert!(bad.parse::<InputEncoding>().is_err(), "{bad}");
        }
    }
}
