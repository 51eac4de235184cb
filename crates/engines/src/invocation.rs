//! What a program is run with: its command line, environment, directories and stdio.
use std::path::PathBuf;

/// A host directory made visible to the guest at `guest` (WASI preopen). Native programs see
/// the host filesystem directly and use `host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the guest sees it.
    pub guest: String,
}

impl std::str::FromStr for Preopen {
    type Err = String;

    /// Parses `HOST[:GUEST]`; without GUEST the guest sees the directory at the host path.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (host, guest) = match spec.split_once(':') {
            Some((host, guest)) => (host, guest),
            None => (spec, spec),
        };
        if host.is_empty() || guest.is_empty() {
            return Err(format!(
                "bad directory {spec:?}: expected HOST[:GUEST], e.g. ./data:/data"
            ));
        }
        let host = PathBuf::from(host);
        if !host.is_dir() {
            return Err(format!(
                "bad directory {spec:?}: {} is not an existing directory on this host",
                host.display()
            ));
        }
        Ok(Preopen {
            host,
            guest: guest.to_owned(),
        })
    }
}

/// Where the program's standard output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StdoutMode {
    /// The caller's standard output.
    #[default]
    Inherit,
    /// Kept in memory and returned in the outcome (up to `limit` bytes).
    Capture {
        /// The most bytes kept; a guest writing more gets a write error.
        limit: usize,
    },
}

/// Where the program's standard input comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StdinMode {
    /// The caller's standard input.
    #[default]
    Inherit,
    /// These bytes, then end of file (e.g. a request body, as CGI gives it).
    Bytes(std::sync::Arc<[u8]>),
}

/// How to run one program.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// argv[0] as the program sees it.
    pub program_name: String,
    /// argv[1..].
    pub args: Vec<String>,
    /// The environment: exactly these variables (nothing is inherited).
    pub env: Vec<(String, String)>,
    /// Directories given to the guest.
    pub preopens: Vec<Preopen>,
    /// Standard input.
    pub stdin: StdinMode,
    /// Standard output (stderr is always the caller's).
    pub stdout: StdoutMode,
    /// Time and memory limits.
    pub limits: crate::Limits,
}

impl Invocation {
    /// Argv as the program sees it: the program name, then the arguments.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.program_name.clone())
            .chain(self.args.iter().cloned())
            .collect()
    }
}
