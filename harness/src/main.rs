fn main() {
    std::process::exit(mcp_conform::cli::main_with(std::env::args().collect()));
}
