//! Arbitrary bytes through the two paths an upload takes in the server:
//!
//! - the request's cheap checks (`pdf::precheck`), in this process, as the server runs them:
//!   they have no operating-system limits to fall back on, so any crash, timeout or
//!   out-of-memory there is a bug;
//! - for what they accept, the sandboxed child (`fnt sandbox`, the binary named by
//!   `FNT_SANDBOX_PROGRAM`, run with the server's limits): the upload's check in both input
//!   modes, then a job's plan. The child may refuse the file, or die on its limits (the
//!   designed answer to a bomb); it must never fail to answer otherwise, and, run strict, a
//!   panic that starts in fnt's own code makes it exit with a status of its own, which is a
//!   crash here.
//!
//! In text mode, the plan's chunks must cover the book's pages in order.
//!
//! A crash in this process is a panic that starts in fnt's code, a panic that escapes the
//! public API, an abort, a stack overflow, a timeout or running out of memory (libFuzzer's
//! limits). A panic inside lopdf that the API turns into `Err` is the designed behaviour for
//! a broken file and is not reported.

#![no_main]

use std::backtrace::Backtrace;
use std::panic::PanicHookInfo;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use fnt::config::Config;
use fnt::pdf::plan::PlanConfig;
use fnt::pdf::{PdfInfo, Requirements, precheck};
use fnt::sandbox::{Input, Planned, Sandbox, SandboxError, Task};
use fnt::settings::{InputMode, Settings};
use libfuzzer_sys::fuzz_target;

/// The stack of tokio's blocking-pool threads, where the server reads uploads
/// (`spawn_blocking`). The fuzzer's own thread has 8 MiB: a recursion that fits there but
/// not in a worker would crash the server and go unnoticed here.
const WORKER_STACK_BYTES: usize = 2 << 20;

fuzz_target!(init: {
    install_panic_hook();
    stack_overflow::report_on_alternate_stack();
}, |data: &[u8]| {
    clear_foreign_panic();
    let outcome = std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(WORKER_STACK_BYTES)
            .spawn_scoped(s, || stack_overflow::with_alternate_stack(|| ingest(data)))
            .map(|worker| worker.join())
    });
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(_)) => {
            eprintln!("a panic escaped the public API:");
            if let Some(report) = take_foreign_panic() {
                eprintln!("{report}");
            }
            std::process::abort();
        }
        // Not the input's doing: the machine is out of threads or memory.
        Err(e) => panic!("cannot start a worker thread: {e}"),
    }
});

fn ingest(data: &[u8]) {
    let config = Config::default();
    if precheck(data, config.max_pages).is_err() {
        return;
    }
    let outcome = RUNTIME.with(|runtime| runtime.block_on(in_the_sandbox(data, &config)));
    if let Err(e) = outcome {
        eprintln!("the sandboxed reader did not answer: {e}");
        std::process::abort();
    }
}

/// The child's tasks on `data`; an error only when the child failed to answer at all.
async fn in_the_sandbox(data: &[u8], config: &Config) -> Result<(), SandboxError> {
    let sandbox = sandbox(config);
    // Several chunks from a few pages, so that the page-range path runs more than once.
    let plan = PlanConfig {
        single_chunk_max_pages: 2,
        medium_chunk_pages: 3,
        large_chunk_pages: 3,
        ..PlanConfig::default()
    };
    for input_mode in [InputMode::Text, InputMode::Pdf] {
        // Both clean-up settings are reachable: which one runs is decided by the input.
        let settings = Settings {
            input_mode,
            fix_hyphenation: data.len() % 2 == 0,
            ignore_dialogue: data.len() % 3 == 0,
            ..Settings::default()
        };
        let requirements = Requirements {
            max_pages: config.max_pages,
            text_layer: input_mode == InputMode::Text,
        };
        let checked: Result<PdfInfo, _> = sandbox
            .run(&Task::Check { requirements }, Input::Bytes(data))
            .await;
        let info = match checked {
            Ok(info) => info,
            Err(SandboxError::Refused(_)) => continue,
            Err(e) => return Err(e),
        };
        let task = Task::Plan {
            settings: Box::new(settings),
            plan,
            max_pages: config.max_pages,
        };
        let planned: Planned = match sandbox.run(&task, Input::Bytes(data)).await {
            Ok(planned) => planned,
            Err(SandboxError::Refused(_)) => continue,
            Err(e) => return Err(e),
        };
        assert_eq!(
            planned.pages, info.page_count,
            "the plan and the check disagree"
        );
        let mut next = 1;
        for chunk in &planned.inputs {
            assert_eq!(chunk.first_page, next, "chunks skip or repeat pages");
            next = chunk.last_page + 1;
        }
        assert!(
            planned.inputs.is_empty() || next == planned.pages + 1,
            "the chunks do not end on the last page"
        );
    }
    Ok(())
}

/// The server's sandbox, strict, run by the `fnt` the environment names, with limits tighter
/// than the server's: what matters is whether the child answers, refuses or dies on a limit,
/// and every unit must end well within libFuzzer's `-timeout` (four children at most, each
/// stopped by [`CHILD_WALL_SECS`]).
fn sandbox(config: &Config) -> Sandbox {
    let program = std::env::var_os("FNT_SANDBOX_PROGRAM").map(PathBuf::from);
    let Some(program) = program.filter(|p| p.is_file()) else {
        panic!("set FNT_SANDBOX_PROGRAM to a built `fnt` (see fuzz/README.md)");
    };
    let mut config = config.clone();
    config.sandbox_program = Some(program);
    config.sandbox_cpu_secs = CHILD_CPU_SECS;
    config.sandbox_wall_secs = CHILD_WALL_SECS;
    config.sandbox_memory_mb = CHILD_MEMORY_MB;
    config.sandbox().strict()
}

/// A child's CPU time, wall-clock time and address space. Every file of the committed corpus
/// is read, or refused, well within them.
const CHILD_CPU_SECS: u64 = 2;
const CHILD_WALL_SECS: u64 = 5;
const CHILD_MEMORY_MB: u64 = 1024;

thread_local! {
    /// The child's pipes need a runtime; one per fuzzing thread, made once.
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a runtime: {e}"));
}

// ---------------------------------------------------------------------------------------------
// Telling our panics from lopdf's and pdf-extract's

/// The last panic that started outside fnt, kept to be shown if it escapes the API.
static FOREIGN_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn clear_foreign_panic() {
    if let Ok(mut last) = FOREIGN_PANIC.lock() {
        *last = None;
    }
}

fn take_foreign_panic() -> Option<String> {
    FOREIGN_PANIC.lock().ok()?.take()
}

/// libfuzzer-sys's hook aborts on every panic, caught or not. This one aborts (through it)
/// only on panics that start in fnt's code or in this harness; other panics unwind as they
/// would in the server, into `guarded` or out of the API.
fn install_panic_hook() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if starts_in_our_code(info) {
            abort(info);
        } else if let Ok(mut last) = FOREIGN_PANIC.lock() {
            *last = Some(format!("{info}\n{}", Backtrace::force_capture()));
        }
    }));
}

fn our_dirs() -> [&'static Path; 2] {
    let harness = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fnt_src = harness.parent().unwrap_or(harness);
    [harness, fnt_src]
}

/// This harness (the one workspace member, so cargo gives rustc relative paths) or fnt
/// (a path dependency, absolute paths like the registry crates).
fn is_ours(file: &Path) -> bool {
    let [harness, fnt] = our_dirs();
    file.is_relative() || file.starts_with(harness) || file.starts_with(fnt.join("src"))
}

/// Where the standard library's sources are, as recorded in its debug info.
fn is_std(file: &Path) -> bool {
    file.starts_with("/rustc/")
}

fn starts_in_our_code(info: &PanicHookInfo<'_>) -> bool {
    let Some(location) = info.location() else {
        return true;
    };
    let file = Path::new(location.file());
    if !is_std(file) {
        return is_ours(file);
    }
    // The panic was raised inside the standard library (an allocation too big, a
    // `RefCell` borrowed twice…): it belongs to the first caller outside it.
    let mut frames = Vec::new();
    backtrace::trace(|frame| {
        backtrace::resolve_frame(frame, |symbol| {
            if let Some(file) = symbol.filename() {
                frames.push(file.to_path_buf());
            }
        });
        true
    });
    // Frames innermost first: this hook, the panic machinery (`rust_panic_with_hook` in
    // std's panicking.rs, then more of std), then whoever panicked. Later std frames named
    // panicking.rs are `catch_unwind`s further out.
    let Some(machinery) = frames
        .iter()
        .position(|f| is_std(f) && f.ends_with("panicking.rs"))
    else {
        return true;
    };
    frames[machinery..]
        .iter()
        .find(|f| !is_std(f))
        .is_none_or(|f| is_ours(f))
}

// ---------------------------------------------------------------------------------------------
// Stack overflows

/// Without a sanitizer, libFuzzer's SIGSEGV handler runs on the stack that just overflowed,
/// so the kernel kills the process before libFuzzer can save the input. These give the
/// handler an alternate stack to run on.
mod stack_overflow {
    use std::mem::MaybeUninit;
    use std::ptr;

    /// Room for libFuzzer's crash handler, which prints and writes the crash input.
    const ALT_STACK_BYTES: usize = 256 << 10;

    /// Registers SIGSEGV and SIGBUS as "default action, on the alternate stack" before
    /// libFuzzer installs its handlers: libFuzzer replaces a default handler and keeps its
    /// SA_ONSTACK flag (as it does for AddressSanitizer's).
    pub fn report_on_alternate_stack() {
        for signal in [libc::SIGSEGV, libc::SIGBUS] {
            // SAFETY: a zeroed sigaction is valid; this installs the default action.
            unsafe {
                let mut action: libc::sigaction = MaybeUninit::zeroed().assume_init();
                action.sa_sigaction = libc::SIG_DFL;
                action.sa_flags = libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                if libc::sigaction(signal, &action, ptr::null_mut()) != 0 {
                    panic!("sigaction failed: {}", std::io::Error::last_os_error());
                }
            }
        }
    }

    /// Runs `f` on this thread with an alternate signal stack in place.
    pub fn with_alternate_stack<T>(f: impl FnOnce() -> T) -> T {
        let mut alt = vec![0u8; ALT_STACK_BYTES];
        let stack = libc::stack_t {
            ss_sp: alt.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: alt.len(),
        };
        // SAFETY: `alt` outlives the registration, which is removed below before it is
        // freed (a panic in `f` is caught there too).
        unsafe {
            if libc::sigaltstack(&stack, ptr::null_mut()) != 0 {
                panic!("sigaltstack failed: {}", std::io::Error::last_os_error());
            }
        }
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let off = libc::stack_t {
            ss_sp: ptr::null_mut(),
            ss_flags: libc::SS_DISABLE,
            ss_size: 0,
        };
        // SAFETY: disabling the alternate stack of the current thread.
        unsafe {
            libc::sigaltstack(&off, ptr::null_mut());
        }
        drop(alt);
        out.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}
