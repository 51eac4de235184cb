//! The smallest useful function: one line out. Start-up cost, and nothing else, is what a run of
//! it measures.
fn main() {
    println!("hello from wasmfaas");
}
