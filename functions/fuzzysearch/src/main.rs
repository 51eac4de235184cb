//! Fuzzy-searches a phrase among the lines of a text file (simsearch: token-wise Jaro-Winkler).
use simsearch::{Index, Options};
use wasmfaas_workload::cli::{Args, OrFail};

const NAME: &str = "fuzzysearch";
/// At most this many best hits are reported.
const MAX_HITS: usize = 50;

fn main() {
    let args = Args::from_env(NAME, "<corpus.txt> <query>...");
    let path = args.text(0, "corpus.txt");
    args.text(1, "query");
    let query = args.rest(1);
    let corpus = std::fs::read_to_string(path).or_fail(NAME, format_args!("reading {path}"));
    let mut engine: Index<usize> = Index::with_options(Options::new().limit(MAX_HITS));
    let mut lines = 0usize;
    for (index, line) in corpus.lines().enumerate() {
        engine.insert(index + 1, line);
        lines += 1;
    }
    let mut found: Vec<usize> = engine
        .search(&query)
        .into_iter()
        .map(|hit| hit.id)
        .collect();
    found.sort_unstable();
    println!("lines: {lines}");
    println!("matches: {}", found.len());
    let shown: Vec<String> = found.iter().map(usize::to_string).collect();
    println!("match_lines: {}", shown.join(","));
}
