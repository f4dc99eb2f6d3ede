//! The objects example's plugin: a `Transcoder` whose sessions upper-case
//! (or not) what they are given, and log through the host.

use objects_example_api::{Config, Log, Session, Summary};

/// The root instance: no state of its own.
#[derive(Default)]
pub struct Transcoder;

/// A session, with the host's logger it was given.
struct Upper {
    config: Config,
    log: Box<dyn Log>,
    summary: Summary,
}

impl Session for Upper {
    fn push(&mut self, chunk: &str) -> String {
        self.summary.chunks += 1;
        self.summary.chars += chunk.chars().count() as u64;
        if self.config.shout {
            chunk.to_uppercase()
        } else {
            chunk.to_owned()
        }
    }

    fn finish(&mut self) -> Summary {
        self.log.info(&format!(
            "{}: finished after {} chunks",
            self.config.name, self.summary.chunks
        ));
        std::mem::replace(
            &mut self.summary,
            Summary {
                chunks: 0,
                chars: 0,
            },
        )
    }
}

impl Drop for Upper {
    fn drop(&mut self) {
        self.log.info(&format!("{}: closed", self.config.name));
    }
}

#[dynplug::plugin_export]
impl objects_example_api::Transcoder for Transcoder {
    fn open(&self, config: Config, log: Box<dyn Log>) -> Result<Box<dyn Session>, String> {
        if config.name.is_empty() {
            return Err("a session needs a name".to_owned());
        }
        log.info(&format!("{}: opened", config.name));
        Ok(Box::new(Upper {
            config,
            log,
            summary: Summary {
                chunks: 0,
                chars: 0,
            },
        }))
    }
}
