//! The Kubernetes Container Runtime Interface, `runtime.v1`: the calls the kubelet makes to
//! containerd, generated from `proto/api.proto` (k8s.io/cri-api's `pkg/apis/runtime/v1/api.proto`,
//! Apache-2.0, as the k8s-cri crate 0.11 ships it) at build time, with a vendored protoc.
//!
//! A client only: the tests of `deploy/` act as a node's kubelet.

#[allow(
    missing_docs,
    clippy::doc_lazy_continuation,
    clippy::large_enum_variant
)]
pub mod v1 {
    //! API version v1.
    tonic::include_proto!("runtime.v1");
}
