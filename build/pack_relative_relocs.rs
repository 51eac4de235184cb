//! The build script of the crates with our binaries (wasmfaas, wasmfaas-runtime, the shim, the
//! runners):
//! they are linked with packed relative relocations (RELR, glibc 2.36+), so the loader reads a
//! few kilobytes instead of megabytes of relocation entries at every start, ASLR kept: every
//! `process` run and each runtime call of a container pays this start.
fn main() {
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    if linux_gnu {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
