//! `-v` / `RUST_LOG`: the host crate's one event per call, on stderr. Off by
//! default, so stdout and stderr stay what scripts parse.

use tracing_subscriber::EnvFilter;

pub fn init(verbose: u8) {
    let filter = match verbose {
        0 => match std::env::var("RUST_LOG") {
            Ok(directives) if !directives.is_empty() => match EnvFilter::try_new(&directives) {
                Ok(filter) => filter,
                Err(e) => {
                    eprintln!("transcript-snapshot: ignoring RUST_LOG: {e}");
                    return;
                }
            },
            _ => return,
        },
        1 => EnvFilter::new("transcript_snapshot=info"),
        _ => EnvFilter::new("transcript_snapshot=debug,info"),
    };
    // Fails only if a subscriber is already set, which nothing else does.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
