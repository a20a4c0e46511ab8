//! The libFuzzer driver, built by `cargo xtask fuzz` with coverage instrumentation. One
//! binary serves every target; `HUB_FUZZ_TARGET` names the one it runs.

#![no_main]

use std::sync::OnceLock;

use hub_fuzz::Target;

fn target() -> &'static Target {
    static TARGET: OnceLock<&'static Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let name = std::env::var("HUB_FUZZ_TARGET").unwrap_or_default();
        hub_fuzz::find(&name).unwrap_or_else(|| {
            let known: Vec<String> = hub_fuzz::TARGETS
                .iter()
                .map(|target| format!("{}: {}", target.name, target.about))
                .collect();
            panic!(
                "HUB_FUZZ_TARGET={name:?} names no target of\n{}",
                known.join("\n")
            )
        })
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    (target().run)(data);
});
