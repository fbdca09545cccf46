//! The `cdc-workshop` binary: everything lives in the library; this only hands over.

fn main() -> std::process::ExitCode {
    cdc_workshop::cli::main()
}
