//! Training a network to a signed distance function.
