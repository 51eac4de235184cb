//! The suite of serverless functions: what each function is, how it is called at each size, how
//! it is built for WebAssembly and natively, the inputs it reads, and how its output is checked.
//!
//! The functions' source lives in `functions/` (a workspace of its own, built for
//! `wasm32-wasip1` and `x86_64-unknown-linux-musl`); this crate drives it from the host.

pub mod build;
pub mod check;
pub mod inputs;
pub mod layout;
pub mod manifest;
pub mod runner;
pub mod toolchain;

pub use check::{CheckError, check};
pub use layout::Layout;
pub use manifest::{Function, Kind, Size, find, functions};
