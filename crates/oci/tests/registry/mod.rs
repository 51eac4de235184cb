//! A registry on loopback for the tests that push images and pull them back (the OCI crate's
//! and the runtime's CRI test, which includes this file by path).
use std::path::Path;
use std::process::Command;

/// A registry (Debian's docker-registry, the CNCF distribution server) on a free loopback
/// port, storing in `dir`, stopped when dropped.
pub struct Registry {
    child: std::process::Child,
    /// `127.0.0.1:<port>`, as image references name it.
    pub address: String,
}

impl Registry {
    /// Starts one storing in `dir`, and waits until it listens.
    pub fn start(dir: &Path) -> Registry {
        std::fs::create_dir_all(dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = dir.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
                dir.join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the registry did not listen on {address}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Registry { child, address }
    }

    /// Pushes the image tagged `tag` in the layout at `layout` as `name` (`repository:tag`),
    /// with skopeo, as a user publishes an image; gives its reference.
    pub fn push(&self, layout: &Path, tag: &str, name: &str) -> String {
        let remote = format!("{}/{name}", self.address);
        let out = Command::new("skopeo")
            .args(["copy", "--quiet", "--dest-tls-verify=false"])
            .arg(format!("oci:{}:{tag}", layout.display()))
            .arg(format!("docker://{remote}"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo copy to {remote}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        remote
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
