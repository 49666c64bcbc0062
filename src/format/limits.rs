//! Limits every reader enforces (spec section "Limits"). They bound memory and time on hostile
//! input; real shapes are far below them.

/// Largest file accepted, in bytes.
pub const MAX_FILE_LEN: u64 = 256 << 20;
/// Most chunks in a directory.
pub const MAX_CHUNKS: u32 = 64;
/// Most dense layers.
pub const MAX_LAYERS: u32 = 64;
/// Widest layer (inputs or outputs).
pub const MAX_WIDTH: u32 = 4096;
/// Most parameters (weights + biases) in a network.
pub const MAX_PARAMETERS: u64 = 16 << 20;
/// Most Fourier-feature frequencies.
pub const MAX_FOURIER_FREQUENCIES: u32 = 16;
/// Most hash-grid levels.
pub const MAX_GRID_LEVELS: u32 = 32;
/// Smallest and largest hash table, as log2 of its entries.
pub const MIN_GRID_LOG2_TABLE: u32 = 4;
pub const MAX_GRID_LOG2_TABLE: u32 = 24;
/// Finest hash-grid level, in cells per axis.
pub const MAX_GRID_RESOLUTION: u32 = 1 << 20;
/// Most hash-grid feature values, all levels together.
pub const MAX_GRID_VALUES: u64 = 1 << 26;
/// Largest `META` chunk, in bytes.
pub const MAX_METADATA_LEN: u64 = 1 << 20;
/// Most metadata entries.
pub const MAX_METADATA_ENTRIES: u32 = 4096;
/// Longest metadata key, in bytes.
pub const MAX_KEY_LEN: u16 = 255;
