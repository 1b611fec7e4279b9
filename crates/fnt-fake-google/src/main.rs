//! `fnt-fake-google`: serves the fake Google until stopped (Ctrl-C / SIGTERM).

use std::process::ExitCode;

use clap::Parser;

use fnt_fake_google::FakeGoogleArgs;

/// Serve a local stand-in for Google's OAuth and Sheets APIs, to try the Sheets export
/// offline (point fnt's --google-base-url at it).
#[derive(Parser)]
#[command(name = "fnt-fake-google", version)]
struct Cli {
    #[command(flatten)]
    args: FakeGoogleArgs,
}

fn main() -> ExitCode {
    let Cli { args } = Cli::parse();
    let bind = args.bind;
    fnt_testkit::serve::until_stopped("fnt-fake-google", bind, fnt_fake_google::run(args))
}
