//! Rebuild when anything under `lessons/` or `assets/` changes, so the embedded copies always match the
//! files (include_dir alone does not notice a newly added file).

fn main() {
    println!("cargo:rerun-if-changed=lessons");
    println!("cargo:rerun-if-changed=assets");
}
