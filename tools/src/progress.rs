//! The progress bar (phase, loss, rate, ETA) and Ctrl-C.
//!
//! indicatif hides the bar by itself when stderr is not a terminal; `--quiet` hides it always.
//! Ctrl-C only raises a flag: the trainer's progress callback sees it and stops cleanly, so the
//! output (written atomically, at the very end) is never partial. A second Ctrl-C exits at once.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nsdf_train::pack::Event;
use nsdf_train::Progress;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED_EXIT: u8 = 130;

/// Installs the Ctrl-C handler (once per process; later calls do nothing).
pub fn catch_interrupts() {
    // An error means a handler is already installed, which serves as well.
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(INTERRUPTED_EXIT as i32);
        }
    });
}

/// Steps of the bar: it shows the fraction of training done.
const STEPS: u64 = 1000;

/// The bar for one mesh at a time.
pub struct Bar {
    bar: ProgressBar,
    label: std::sync::Mutex<String>,
    quiet: bool,
}

impl Bar {
    pub fn new(quiet: bool) -> Bar {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(STEPS), ProgressDrawTarget::stderr())
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:.bold} {wide_bar} {percent:>3}% {msg} [{elapsed_precise}, ETA {eta}]",
            )
            .expect("the template is valid"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Bar {
            bar,
            label: std::sync::Mutex::new(String::new()),
            quiet,
        }
    }

    /// Starts a new mesh (`label`: its name, and its place in a batch).
    pub fn start(&self, label: &str) {
        *self.label.lock().unwrap_or_else(|e| e.into_inner()) = label.to_string();
        self.bar.reset();
        self.bar.set_message("");
    }

    pub fn phase(&self, phase: &str) {
        let label = self.label.lock().unwrap_or_else(|e| e.into_inner());
        self.bar.set_prefix(format!("{label} {phase}"));
    }

    /// A report from the trainer.
    pub fn report(&self, p: &Progress) {
        self.phase(p.phase.name());
        self.bar
            .set_position((p.fraction.clamp(0.0, 1.0) as f64 * STEPS as f64) as u64);
        if p.loss.is_finite() {
            self.bar.set_message(format!(
                "epoch {:.1}/{} loss {:.5} {:.2} M samples/s",
                p.epoch,
                p.epochs,
                p.loss,
                p.samples_per_second / 1e6
            ));
        }
    }

    /// Prints a line above the bar (or plainly when it is hidden).
    pub fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Prints a warning above the bar, as soon as it is known; nothing with `--quiet`.
    pub fn warn(&self, line: &str) {
        if !self.quiet {
            self.println(&format!("nsdf: warning: {line}"));
        }
    }

    /// Prints a note on the work above the bar; nothing with `--quiet`.
    pub fn note(&self, line: &str) {
        if !self.quiet {
            self.println(&format!("nsdf: {line}"));
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// The pack pipeline's callback: draws its events and answers `Break` after Ctrl-C.
    pub fn on_event(&self, event: nsdf_train::pack::Event<'_>) -> ControlFlow<()> {
        match event {
            Event::Start { label } => self.start(label),
            Event::Phase(phase) => self.phase(phase),
            Event::Training(p) => self.report(p),
            Event::Warning { input, warning } => {
                self.warn(&format!("{}: {warning}", input.display()))
            }
            Event::Retrain { input, retry } => self.warn(&format!(
                "{}: {}",
                input.display(),
                nsdf_train::pack::retrain_message(retry)
            )),
            Event::Choice { input, choice } => self.note(&format!(
                "{}: {}",
                input.display(),
                nsdf_train::pack::choice_message(choice)
            )),
        }
        if self.cancelled() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Whether Ctrl-C was pressed.
    pub fn cancelled(&self) -> bool {
        interrupted()
    }
}

/// A bar for work counted in items (texels baked): done, rate and ETA. Hidden with `quiet` or
/// when stderr is not a terminal.
pub fn count_bar(quiet: bool, total: u64, prefix: &str) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:.bold} {wide_bar} {percent:>3}% {human_pos}/{human_len} ({per_sec}) [{elapsed_precise}, ETA {eta}]",
        )
        .expect("the template is valid"),
    );
    bar.set_prefix(prefix.to_string());
    bar
}

/// Whether Ctrl-C was pressed (after [`catch_interrupts`]).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
