fn main() {
    // First of all: a watchdog of another run (see transport::watchdog) never returns.
    mcp_conform::transport::watchdog::main_or_enable();
    std::process::exit(mcp_conform::cli::main_with(std::env::args().collect()));
}
