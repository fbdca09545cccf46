//! Rebuild when anything under `lessons/` changes, so the embedded course always matches the
//! files (include_dir alone does not notice a newly added file).

fn main() {
    println!("cargo:rerun-if-changed=lessons");
}
