fn main() -> std::process::ExitCode {
    invigil_server::cli::main()
}
