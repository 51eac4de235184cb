//! The processes of a container: the pids in its cgroup (runc's `ps`, a shim's Pids).
use libcgroups::common::CgroupManager;
use libcontainer::container::Container;

use crate::ContainerError;

/// The pids of every process in `container`'s cgroup.
pub fn processes(container: &Container) -> Result<Vec<i32>, ContainerError> {
    let failed = |problem: String| ContainerError::CorruptState {
        id: container.id().to_owned(),
        problem,
    };
    let config = container.spec().map_err(|e| failed(e.to_string()))?;
    let manager = libcgroups::common::create_cgroup_manager(libcgroups::common::CgroupConfig {
        cgroup_path: config.cgroup_path,
        systemd_cgroup: container.systemd(),
        container_name: container.id().to_owned(),
    })
    .map_err(|e| failed(format!("its cgroup: {e}")))?;
    let pids = manager
        .get_all_pids()
        .map_err(|e| failed(format!("listing its processes: {e}")))?;
    Ok(pids.iter().map(|p| p.as_raw()).collect())
}
