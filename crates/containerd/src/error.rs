//! What can go wrong in starting or restoring a private containerd.
use std::path::PathBuf;

/// Why a private containerd could not be started, restored or prepared.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The folder's socket path would not fit a Unix socket address.
    #[error(
        "the private containerd's socket {} would be {length} bytes long, over the {max} a Unix socket allows: give it a shorter folder",
        socket.display()
    )]
    SocketTooLong {
        /// The socket's path (its `.ttrpc` sibling is longer still).
        socket: PathBuf,
        /// The longer sibling's length.
        length: usize,
        /// What `sun_path` holds.
        max: usize,
    },
    /// A file or folder of the daemon's could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The containerd binary could not be executed.
    #[error("cannot start containerd ({}): {source}", binary.display())]
    Spawn {
        /// The binary tried.
        binary: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// containerd started but exited, or did not answer `ctr version` in time.
    #[error("the private containerd did not start ({why}); its log {}: {last_lines}", log.display())]
    NotServing {
        /// Its exit status, or that it did not answer in time.
        why: String,
        /// Its log file.
        log: PathBuf,
        /// The log's last lines, joined by ` | `.
        last_lines: String,
    },
    /// containerd or ctr is not installed.
    #[error("{tool} is not on PATH (apt-get install containerd)")]
    NotInstalled {
        /// `containerd` or `ctr`.
        tool: &'static str,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
