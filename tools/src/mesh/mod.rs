//! Triangle meshes: loading, checking, and exact signed distance.
