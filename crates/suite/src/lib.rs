//! The suite of serverless functions: what each function is, how it is called at each size, how
//! it is built for WebAssembly and natively, the inputs it reads, and how its output is checked.
//!
//! The functions' source lives in `functions/` (a workspace of its own, built for
//! `wasm32-wasip1` and `x86_64-unknown-linux-musl`); this crate drives it from the host.

pub mod build;
pub mod check;
pub mod function;
pub mod inputs;
pub mod layout;
pub mod runner;
pub mod toolchain;
pub mod user;

pub use check::{CheckError, check};
pub use function::{Function, Kind, Size, find, functions};
pub use layout::Layout;
pub use user::{Catalog, UserFunction};
