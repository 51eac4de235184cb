//! The sandbox ("pause") container of a Kubernetes pod: it holds the pod's namespaces and does
//! nothing until the runtime kills it, as Kubernetes' own pause image does. It is built with the
//! suite so that a pod can be run through the CRI (the deploy snippet's test) without pulling
//! `registry.k8s.io/pause` from the network.
use std::time::Duration;

fn main() {
    // Sleeping rather than parking: WebAssembly without threads has no parker to wait on, and
    // the same source builds to both targets.
    loop {
        std::thread::sleep(Duration::from_secs(86_400));
    }
}
