//! `state`: a container's OCI state as JSON, with the fields runc prints.
use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Result;
use libcontainer::container::ContainerStatus;
use libcontainer::oci_spec::runtime::Spec;
use serde::Serialize;

use super::{Globals, status_name};

/// The OCI state of a container, with the fields runc prints (go-runc parses these).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StateJson {
    oci_version: String,
    id: String,
    pid: i32,
    status: String,
    bundle: PathBuf,
    rootfs: PathBuf,
    created: String,
    owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<HashMap<String, String>>,
}

/// `state`: prints the container's OCI state as JSON.
pub fn state(id: &str, globals: &Globals) -> Result<()> {
    let container = globals.root.load(id)?;
    let state = &container.state;
    let rootfs = Spec::load(state.bundle.join("config.json"))
        .ok()
        .and_then(|spec| spec.root().as_ref().map(|r| state.bundle.join(r.path())))
        .unwrap_or_default();
    let status = container.status();
    let json = StateJson {
        oci_version: state.oci_version.clone(),
        id: state.id.clone(),
        // As runc: a stopped container has no process.
        pid: match status {
            ContainerStatus::Stopped => 0,
            _ => state.pid.unwrap_or(0),
        },
        status: status_name(status),
        bundle: state.bundle.clone(),
        rootfs,
        created: state
            .created
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
            .unwrap_or_default(),
        owner: String::new(),
        annotations: state.annotations.clone(),
    };
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
