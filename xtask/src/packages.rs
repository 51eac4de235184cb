//! The Debian packages the build and the tests use, found with dpkg and installed with apt-get.
use std::process::{Command, Stdio};

/// One package and why the project needs it.
pub struct Package {
    /// Debian's name.
    pub name: &'static str,
    /// What needs it.
    pub why: &'static str,
    /// Whether the build itself fails without it (else: some tests skip).
    pub to_build: bool,
}

/// Every package the workspace's build and tests use, beyond what rustup gives.
pub const PACKAGES: &[Package] = &[
    Package {
        name: "pkg-config",
        why: "finds libseccomp and OpenSSL for the build",
        to_build: true,
    },
    Package {
        name: "libseccomp-dev",
        why: "libcontainer (wasmfaas-runtime) links libseccomp",
        to_build: true,
    },
    Package {
        name: "libssl-dev",
        why: "ocidir (the OCI layouts) links OpenSSL",
        to_build: true,
    },
    Package {
        name: "runc",
        why: "runs the native containers",
        to_build: false,
    },
    Package {
        name: "containerd",
        why: "the containerd launcher, the CRI tests (each test starts a private one)",
        to_build: false,
    },
    Package {
        name: "umoci",
        why: "reads the OCI layouts wasmfaas writes",
        to_build: false,
    },
    Package {
        name: "skopeo",
        why: "reads the layouts and pushes them to a registry",
        to_build: false,
    },
    Package {
        name: "docker-registry",
        why: "a registry on loopback that containerd pulls from",
        to_build: false,
    },
    Package {
        name: "hey",
        why: "the load generator of the serving benchmark (wasmfaas bench --serving)",
        to_build: false,
    },
    Package {
        name: "debootstrap",
        why: "makes the Debian base of the native-debian images",
        to_build: false,
    },
    Package {
        name: "ca-certificates",
        why: "the CA bundle of the distroless base",
        to_build: false,
    },
    Package {
        name: "tzdata",
        why: "the time zones of the distroless base",
        to_build: false,
    },
];

/// Whether dpkg has `name` installed.
pub fn installed(name: &str) -> bool {
    Command::new("dpkg-query")
        .args(["--show", "--showformat=${db:Status-Status}", name])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success() && out.stdout == b"installed")
}

/// Whether this machine has dpkg and apt-get (Debian and its derivatives).
pub fn debian() -> bool {
    ["dpkg-query", "apt-get"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    })
}

/// Installs `packages` with apt-get (root only), quietly: one line before, apt's errors if any.
pub fn install(packages: &[&Package]) -> Result<(), String> {
    let names: Vec<&str> = packages.iter().map(|p| p.name).collect();
    eprintln!("xtask: installing {} (apt-get install)", names.join(" "));
    for p in packages {
        eprintln!("         {}: {}", p.name, p.why);
    }
    let apt = |args: &[&str]| -> Result<(), String> {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "apt-get {} failed ({status}); its errors are above",
                args.join(" ")
            ))
        }
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&names);
    apt(&install)
}
