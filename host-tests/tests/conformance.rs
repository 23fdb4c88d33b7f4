//! Every conformance case (`host-tests/cases/*.json`) on wasmtime, one test
//! per case: `cargo test -p host-tests --test conformance -- NAME` runs the
//! cases whose name contains NAME, and fails when none does (a typo must not
//! pass having checked nothing).

use host_tests::{cases, runner, Harness};
use libtest_mimic::{Arguments, Failed, Trial};
use std::process::ExitCode;
use std::sync::OnceLock;
use tokio::runtime::Runtime;

/// One runtime for every case: the mock gateways and the host's calls run on it.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let trials: Vec<Trial> = cases::load_all(&cases::dir())
        .into_iter()
        .filter(|case| case.applies_to("wasmtime"))
        .map(|case| {
            Trial::test(case.name.clone(), move || {
                let problems = runtime().block_on(runner::run(Harness::shared(), &case));
                match problems.is_empty() {
                    true => Ok(()),
                    false => Err(Failed::from(problems.join("\n"))),
                }
            })
        })
        .collect();
    if let Some(filter) = &args.filter {
        let matches = |name: &str| match args.exact {
            true => name == filter,
            false => name.contains(filter.as_str()),
        };
        if !args.list && !trials.iter().any(|t| matches(t.name())) {
            eprintln!("no conformance case matches {filter:?}");
            return ExitCode::FAILURE;
        }
    }
    libtest_mimic::run(&args, trials).exit_code()
}
