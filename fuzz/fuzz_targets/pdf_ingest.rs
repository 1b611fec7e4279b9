//! Arbitrary bytes through every public entry point that reads an uploaded PDF, the way the
//! server runs them: `inspect` as the upload handler calls it in both input modes, then what
//! a job does with a file `inspect` accepted (`read_book` and the text chunks in text mode,
//! `page_count` and the page-range PDFs in PDF mode).
//!
//! The text chunks' bodies must tile the book's text exactly (nothing lost or doubled at a
//! chunk boundary).
//!
//! A crash is:
//! - a panic that starts in fnt's own code, even one `pdf::guarded` would catch and turn
//!   into an error: `guarded` is there for lopdf and pdf-extract, not to hide our bugs;
//! - a panic that escapes the public API, wherever it starts;
//! - an abort, a stack overflow, a timeout or running out of memory (libFuzzer's limits).
//!
//! A panic inside lopdf or pdf-extract that the API turns into `Err` is the designed
//! behaviour for a broken file and is not reported.

#![no_main]

use std::backtrace::Backtrace;
use std::panic::PanicHookInfo;
use std::path::Path;
use std::sync::Mutex;

use fnt::config::Config;
use fnt::engine::local::segment::SegmentOptions;
use fnt::pdf::clean::CleanOptions;
use fnt::pdf::pages::pdf_chunk_inputs;
use fnt::pdf::plan::{PlanConfig, chunk_inputs, plan};
use fnt::pdf::{Requirements, inspect, page_count, read_book};
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
    // Several chunks from a few pages, so that the page-range path runs more than once.
    let chunks = PlanConfig {
        single_chunk_max_pages: 2,
        medium_chunk_pages: 3,
        large_chunk_pages: 3,
        ..PlanConfig::default()
    };
    // Both clean-up settings are reachable: which one runs is decided by the input.
    let options = CleanOptions {
        fix_hyphenation: data.len() % 2 == 0,
    };
    for text_layer in [true, false] {
        let req = Requirements {
            max_pages: config.max_pages,
            text_layer,
        };
        let Ok(info) = inspect(data, req) else {
            continue;
        };
        if text_layer {
            if let Ok((book, pages)) = read_book(data, options) {
                assert_eq!(pages, info.page_count, "read_book and inspect disagree");
                let chunk_plan = plan(pages, &chunks);
                let segments = SegmentOptions {
                    keep_dialogue_whole: data.len() % 3 == 0,
                };
                let inputs = chunk_inputs(&book, &chunk_plan, chunks.overlap_pages, segments);
                let bodies: String = inputs
                    .iter()
                    .map(|c| c.text.get(c.body_start..c.body_end).unwrap_or("\u{0}"))
                    .collect();
                assert!(bodies == book.text, "chunk bodies do not tile the book");
            }
        } else if let Ok(pages) = page_count(data) {
            assert_eq!(pages, info.page_count, "page_count and inspect disagree");
            let chunk_plan = plan(pages, &chunks);
            let _ = pdf_chunk_inputs(data, &chunk_plan, chunks.overlap_pages);
        }
    }
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
