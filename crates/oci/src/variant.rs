//! The kinds of image made of one function.
use std::fmt;

/// One kind of image of a function.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// The module in a compat image.
    Wasm,
    /// The module as a CNCF wasm OCI artifact.
    WasmArtifact,
    /// An engine's AOT artifact in a compat image.
    Aot(String),
    /// The static native binary alone.
    NativeStatic,
    /// The native binary on a distroless/cc-like base (glibc and libgcc_s from Debian).
    NativeDistroless,
    /// The native binary on a Debian bookworm minbase root.
    NativeDebian,
}

impl Variant {
    /// The tag of `function`'s image of this variant: `matmul-wasm`, `matmul-native-static`.
    pub fn tag(&self, function: &str) -> String {
        format!("{function}-{self}")
    }

    /// Whether the image holds WebAssembly (a module or an AOT artifact of one).
    pub fn is_wasm(&self) -> bool {
        matches!(
            self,
            Variant::Wasm | Variant::WasmArtifact | Variant::Aot(_)
        )
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Variant::Wasm => f.write_str("wasm"),
            Variant::WasmArtifact => f.write_str("wasm-artifact"),
            Variant::Aot(engine) => write!(f, "aot-{engine}"),
            Variant::NativeStatic => f.write_str("native-static"),
            Variant::NativeDistroless => f.write_str("native-distroless"),
            Variant::NativeDebian => f.write_str("native-debian"),
        }
    }
}
