//! The container's root filesystem from containerd's snapshot: the mounts a CreateTask request
//! carries (an overlay, usually) are mounted at the bundle's `rootfs`, as runc's shim does,
//! and unmounted when the task is deleted. `ctr run --rootfs` sends none: the folder is used
//! as it is.
use std::path::{Path, PathBuf};

use containerd_shim::protos::api::Mount;

/// The bundle's root filesystem folder.
pub fn target(bundle: &Path) -> PathBuf {
    bundle.join("rootfs")
}

/// Mounts `mounts` in order at the bundle's `rootfs`; on a failure, what was mounted is
/// unmounted again and the error names the mount.
pub fn mount(bundle: &Path, mounts: &[Mount]) -> Result<(), String> {
    let target = target(bundle);
    for (done, m) in mounts.iter().enumerate() {
        let mounted = containerd_shim::mount::mount_rootfs(
            Some(m.type_.as_str()).filter(|t| !t.is_empty()),
            Some(m.source.as_str()).filter(|s| !s.is_empty()),
            &m.options,
            &target,
        );
        if let Err(e) = mounted {
            for _ in 0..done {
                unmount(bundle).ok();
            }
            return Err(format!(
                "cannot mount the container's root filesystem ({} {} at {}): {e}",
                m.type_,
                m.source,
                target.display()
            ));
        }
    }
    Ok(())
}

/// Unmounts the bundle's `rootfs` if something is mounted there (lazily: a process of the
/// container that lingers cannot keep the snapshot busy); nothing mounted is not an error.
pub fn unmount(bundle: &Path) -> Result<(), String> {
    use nix::errno::Errno;
    use nix::mount::{MntFlags, umount2};
    let target = target(bundle);
    match umount2(&target, MntFlags::MNT_DETACH) {
        Ok(()) | Err(Errno::EINVAL) | Err(Errno::ENOENT) => Ok(()),
        Err(e) => Err(format!("cannot unmount {}: {e}", target.display())),
    }
}
