//! A private containerd: started with its own root, state, sockets and config in a folder of
//! the caller's, driven with `ctr`, and stopped leaving no process, mount or folder — the shims
//! it started included, runc's and ours alike. The bench's `containerd` launchers and every test
//! that needs containerd start it from here.
mod daemon;
mod error;
mod leftovers;

pub use daemon::{Containerd, Options, ctr_in};
pub use error::Error;
pub use leftovers::{
    RUNC_SHIM_STATE_ROOT, SHIM_COMMAND_NAME, Shim, kill_shims, remove_namespace_cgroups,
    remove_runc_shim_state, shim_of, shims_of, unmount_under,
};
