//! What the fuzz targets share.

/// Panics as the targets want them reported.
///
/// libfuzzer-sys's own hook aborts on every panic, even one the code under test catches: the
/// lists crate catches calamine's panics on damaged workbooks (`wijkwerk_lists::workbook`) and
/// refuses the file, which is right. So: a panic in a dependency (its source under cargo's
/// registry) prints one line and unwinds; if nothing catches it, libfuzzer-sys aborts when it
/// reaches the target (a crash, with that line above it). A panic in Wijkwerk's own code is
/// reported in full (message, backtrace) and aborts at once.
pub fn report_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_dependency = info
            .location()
            .is_some_and(|at| at.file().contains("/registry/src/"));
        if in_dependency {
            eprintln!("{info}");
        } else {
            default(info);
            std::process::abort();
        }
    }));
}
