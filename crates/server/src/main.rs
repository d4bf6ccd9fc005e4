/// mimalloc instead of glibc's malloc: under exam-day load glibc's
/// allocator took about a fifth of the server's CPU (README "Performance").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    invigil_server::cli::main()
}
