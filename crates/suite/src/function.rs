//! The functions of the suite and their arguments at each size.
//!
//! Arguments may name `{input}` (the folder of generated inputs for the size) and `{output}` (a
//! fresh, empty folder for the run's output files). WebAssembly runs see them at the guest paths
//! [`GUEST_INPUT`] and [`GUEST_OUTPUT`]; native runs get the host paths.

// The suite's guests see their folders where a manifest's do: one definition for both.
pub use wasmfaas_manifest::{GUEST_INPUT, GUEST_OUTPUT};

/// How much work a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Size {
    /// The whole suite well under a second: for tests.
    Small,
    /// The parameters of the paper's published runs (its artifact's run scripts).
    Paper,
    /// Compute dominates: seconds natively.
    Large,
}

impl Size {
    /// All sizes, smallest first.
    pub const ALL: [Size; 3] = [Size::Small, Size::Paper, Size::Large];

    /// The name on the command line and on disk.
    pub fn as_str(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Paper => "paper",
            Size::Large => "large",
        }
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Size {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Size::ALL
            .into_iter()
            .find(|size| size.as_str() == s)
            .ok_or_else(|| format!("unknown size {s:?}: expected small, paper or large"))
    }
}

/// The paper's classification of a function (its Table 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A microbenchmark.
    Micro,
    /// A real-world workload.
    RealWorld,
    /// A user's function, from a manifest.
    User,
}

/// One function of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// Its name: the crate in `functions/`, the module `<name>.wasm`, the native binary.
    pub name: &'static str,
    /// What it does, in one line.
    pub summary: &'static str,
    /// Microbenchmark or real-world workload.
    pub kind: Kind,
    /// Whether it is one of the paper's 13 (the others are tools, such as `hello`).
    pub in_paper: bool,
    pub(crate) args: [&'static [&'static str]; 3],
    /// For a user's function: its declaration (none for the suite's).
    pub user: Option<&'static crate::user::UserFunction>,
}

impl Function {
    /// Its arguments at `size`, with `{input}` and `{output}` placeholders.
    pub fn arg_templates(&self, size: Size) -> &'static [&'static str] {
        self.args[size as usize]
    }

    /// Its arguments at `size` with the placeholders replaced by `input` and `output`.
    pub fn args(&self, size: Size, input: &str, output: &str) -> Vec<String> {
        self.arg_templates(size)
            .iter()
            .map(|a| a.replace("{input}", input).replace("{output}", output))
            .collect()
    }

    /// The argument at `index` of `size`, parsed; used by checks to know the workload.
    pub(crate) fn numeric_arg<T: std::str::FromStr>(&self, size: Size, index: usize) -> Option<T> {
        self.arg_templates(size).get(index)?.parse().ok()
    }
}

const fn function(
    name: &'static str,
    summary: &'static str,
    kind: Kind,
    small: &'static [&'static str],
    paper: &'static [&'static str],
    large: &'static [&'static str],
) -> Function {
    Function {
        name,
        summary,
        kind,
        in_paper: true,
        args: [small, paper, large],
        user: None,
    }
}

/// The paper's phrase in English, as its whatlang run used it.
pub const WHATLANG_TEXT: &str = "The quick brown fox jumps over the lazy dog";

/// The query fuzzysearch looks for (the paper searched "Hamlet" in Hamlet).
pub const FUZZYSEARCH_QUERY: &str = "hamlet";

static FUNCTIONS: [Function; 14] = [
    function(
        "audio-sine-wave",
        "Render a 440 Hz sine wave and store it as a mono .wav file",
        Kind::Micro,
        &["0.1", "{output}/sine.wav"],
        &["1", "{output}/sine.wav"],
        &["240", "{output}/sine.wav"],
    ),
    function(
        "fuzzysearch",
        "Search for the occurrence of a phrase in a text file",
        Kind::RealWorld,
        &["{input}/fuzzysearch/corpus.txt", FUZZYSEARCH_QUERY],
        &["{input}/fuzzysearch/corpus.txt", FUZZYSEARCH_QUERY],
        &["{input}/fuzzysearch/corpus.txt", FUZZYSEARCH_QUERY],
    ),
    function(
        "n-body",
        "Model the orbits of Jovian planets",
        Kind::Micro,
        &["1000"],
        &["1000"],
        &["50000000"],
    ),
    function(
        "prime-numbers",
        "Search for prime numbers among the first n numbers",
        Kind::Micro,
        &["100"],
        &["100"],
        &["5000000"],
    ),
    function(
        "whatlang",
        "Determine the natural language of a given string",
        Kind::RealWorld,
        &[WHATLANG_TEXT],
        &[WHATLANG_TEXT],
        &["--file", "{input}/whatlang/texts.txt"],
    ),
    function(
        "zip-compression",
        "Compress multiple files in a single zip archive",
        Kind::RealWorld,
        &["{input}/zip-compression", "{output}/archive.zip"],
        &["{input}/zip-compression", "{output}/archive.zip"],
        &["{input}/zip-compression", "{output}/archive.zip"],
    ),
    function(
        "aes",
        "Encrypt a given text using AES symmetrical encryption multiple times",
        Kind::RealWorld,
        &["1000", "10"],
        &["1000", "100"],
        &["1000000", "1000"],
    ),
    function(
        "checksum",
        "Calculate the MD5, SHA256, and SHA512 checksums of a given file",
        Kind::RealWorld,
        &["{input}/checksum/disk.img"],
        &["{input}/checksum/disk.img"],
        &["{input}/checksum/disk.img"],
    ),
    function(
        "diskio",
        "Write and then read back a file containing 100000 lines of text",
        Kind::Micro,
        &["{output}", "1000", "both"],
        &["{output}", "100000", "buffered"],
        &["{output}", "2000000", "both"],
    ),
    function(
        "float-operation",
        "Calculate sin, cos and square root of an arbitrary number",
        Kind::Micro,
        &["500"],
        &["500"],
        &["30000000"],
    ),
    function(
        "imageprocessing",
        "Rotate an image and change its color palette",
        Kind::RealWorld,
        &["{input}/imageprocessing/photo.jpg", "{output}/photo.png"],
        &["{input}/imageprocessing/photo.jpg", "{output}/photo.png"],
        &["{input}/imageprocessing/photo.jpg", "{output}/photo.png"],
    ),
    function(
        "linear-equations",
        "Solve a system of linear equations",
        Kind::Micro,
        &["60"],
        &["500"],
        &["2500"],
    ),
    function(
        "matmul",
        "Square matrix multiplication",
        Kind::Micro,
        &["64"],
        &["500"],
        &["2000"],
    ),
    Function {
        name: "hello",
        summary: "Print one line: start-up cost and nothing else",
        kind: Kind::Micro,
        in_paper: false,
        args: [&[], &[], &[]],
        user: None,
    },
];

/// Every function of the suite: the paper's 13, then the tools (`hello`).
pub fn functions() -> &'static [Function] {
    &FUNCTIONS
}

/// The function called `name`, or an error listing the names there are.
pub fn find(name: &str) -> Result<&'static Function, String> {
    FUNCTIONS.iter().find(|f| f.name == name).ok_or_else(|| {
        let names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
        format!(
            "unknown function {name:?}: the suite has {}",
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_has_thirteen_functions_with_distinct_names() {
        let paper: Vec<&str> = functions()
            .iter()
            .filter(|f| f.in_paper)
            .map(|f| f.name)
            .collect();
        assert_eq!(paper.len(), 13);
        let mut unique = paper.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 13);
    }

    #[test]
    fn placeholders_resolve() {
        let zip = find("zip-compression").unwrap();
        assert_eq!(
            zip.args(Size::Small, "/in", "/out"),
            ["/in/zip-compression", "/out/archive.zip"]
        );
    }

    #[test]
    fn unknown_function_names_the_known_ones() {
        let err = find("matmult").unwrap_err();
        assert!(err.contains("matmult") && err.contains("matmul"), "{err}");
    }
}
