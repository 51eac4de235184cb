//! `wasmfaas serve`: a serverless gateway that runs each HTTP request in a fresh instance.
//!
//! A request to `/<function>` is admitted (or refused with 503 when the gateway is full), mapped
//! onto a WASI command as CGI does ([`cgi`]), run by the function's [`executor`] in a fresh
//! wasmtime, wasmer or wasmi instance, a fresh native process, or a fresh container through
//! containerd and wasmfaas's shim, and answered with what the function printed. Functions are declared in a [`functions`] file, or are the suite's.

pub mod cgi;
pub mod executor;
pub mod functions;
pub mod gateway;
pub mod metrics;
pub mod server;
pub mod suite;

pub use executor::{Containers, Engines, Executor};
pub use functions::{Code, FunctionSpec, FunctionsFileError};
pub use gateway::{Gateway, Served, Settings};
pub use server::{ConnectionLimits, Shutdown, serve, termination};
