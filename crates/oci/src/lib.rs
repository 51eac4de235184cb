//! OCI image layouts of the suite, written with ocidir and oci-spec so that umoci, skopeo and
//! `ctr image import` read them like any other image:
//!
//! - `wasm`: the compat form containerd's wasm shims know — a scratch image with one layer
//!   holding `/<function>.wasm`, entrypoint it, platform `wasip1/wasm`, annotation
//!   `module.wasm.image/variant=compat-smart`;
//! - `wasm-artifact`: the CNCF wasm OCI artifact — config `application/vnd.wasm.config.v0+json`,
//!   one `application/wasm` layer;
//! - `aot-<engine>`: the compat form holding an engine's precompiled artifact (the paper's
//!   "AOT" images);
//! - `native-static`: the static (musl) binary alone; `native-distroless`: the binary and what
//!   gcr.io/distroless/cc holds (passwd, group, nsswitch, CA certificates, tzdata, /tmp, and
//!   glibc, its dynamic loader and libgcc_s from Debian's packages); `native-debian`: the binary
//!   in `/usr/local/bin` on a Debian bookworm minbase root made with debootstrap, one cached
//!   layer shared by every function's image. The paper's images hold glibc-linked binaries on
//!   distroless/cc and Debian; a static binary is what `native-static` can hold.
//!
//! Layers are deterministic (fixed mtimes and owners), so the same inputs give the same digests.
mod archive;
mod base;
mod bundle;
mod distroless;
mod elf;
mod image;
mod layers;
mod packages;
mod variant;

pub use archive::{export_archive, import_into_containerd};
pub use base::{DEBIAN_SUITE, DEFAULT_DEBIAN_MIRROR, DebianBase, find_tool};
pub use bundle::{BindMount, Bundle, ImageRun, inspect};
pub use elf::interpreter;
pub use image::{Built, ImageError, Images, sizes};
pub use layers::{LayerStore, unpack};
pub use packages::DISTROLESS_PACKAGES;
pub use variant::Variant;
