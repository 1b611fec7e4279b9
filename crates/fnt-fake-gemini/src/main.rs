//! `fnt-fake-gemini`: serves the fake Gemini until stopped (Ctrl-C / SIGTERM).

use std::process::ExitCode;

use clap::Parser;

use fnt_fake_gemini::FakeGeminiArgs;

/// Run a local server that speaks Gemini's `generateContent` wire format, with injected
/// latency and faults, to test against without Google.
#[derive(Parser)]
#[command(name = "fnt-fake-gemini", version)]
struct Cli {
    #[command(flatten)]
    args: FakeGeminiArgs,
}

fn main() -> ExitCode {
    let Cli { args } = Cli::parse();
    let bind = args.bind;
    fnt_testkit::serve::until_stopped("fnt-fake-gemini", bind, fnt_fake_gemini::run(args))
}
