//! Compiles the CRI's protocol (proto/api.proto) into a tonic client with the protoc shipped in
//! the protoc-bin-vendored crate, unless PROTOC names another.
fn main() {
    if std::env::var_os("PROTOC").is_none() {
        let protoc = protoc_bin_vendored::protoc_bin_path()
            .expect("protoc-bin-vendored ships a protoc for this platform");
        // SAFETY: a build script is single-threaded here; prost-build reads PROTOC below.
        unsafe { std::env::set_var("PROTOC", protoc) };
    }
    println!("cargo:rerun-if-changed=proto/api.proto");
    tonic_prost_build::configure()
        .build_server(false)
        .compile_protos(&["proto/api.proto"], &["proto"])
        .expect("proto/api.proto compiles");
}
