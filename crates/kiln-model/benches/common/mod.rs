//! Synthetic, deterministic inputs shared by the benchmarks.

pub mod rng;
pub mod service;
