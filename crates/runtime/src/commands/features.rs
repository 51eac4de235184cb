//! `features`: what this runtime supports, in the OCI features format runc prints.
use anyhow::Result;
use wasmfaas_container::workload;

/// `features`: what this runtime supports, in the OCI features format runc prints.
pub fn features() -> Result<()> {
    use libcontainer::oci_spec::runtime::VERSION;
    let engines: Vec<String> = wasmfaas_engines::registry()
        .iter()
        .filter(|e| workload::ENGINES.contains(&e.name()))
        .map(|e| format!("{} {}", e.name(), e.version()))
        .collect();
    let annotations = [
        workload::ANNOTATION_VARIANT,
        workload::ANNOTATION_HANDLER,
        workload::ANNOTATION_MODE,
    ]
    .join(", ");
    let features = serde_json::json!({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": VERSION,
        "hooks": ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
        "mountOptions": libcontainer::syscall::linux::MountOption::known_options(),
        "linux": {
            "namespaces": ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"],
            "cgroup": { "v1": true, "v2": true, "systemd": true, "systemdUser": true },
            "seccomp": { "enabled": true },
        },
        "annotations": {
            "org.wasmfaas.runtime.engines": engines.join(", "),
            "org.wasmfaas.runtime.annotations": annotations,
        },
    });
    println!("{}", serde_json::to_string_pretty(&features)?);
    Ok(())
}
