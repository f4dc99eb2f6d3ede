// The everyday types that cross: 128-bit integers, durations, maps and
// sets (a hash map with its own hasher too), in arguments, returns,
// callbacks and fields; `&Path` lent to a method, a callback and a host's
// object (an alias of it too).
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::path::{Path, PathBuf};
use std::time::Duration;

type Fixed = BuildHasherDefault<std::collections::hash_map::DefaultHasher>;

#[derive(dynplug::PluginType)]
pub struct Config {
    pub id: u128,
    pub timeout: Duration,
    pub limits: HashMap<String, i128>,
    pub tags: BTreeSet<String>,
}

#[dynplug::plugin_interface]
pub trait Everyday {
    fn config(&self) -> Config;
    fn set(&mut self, config: Config) -> Option<Duration>;
    fn index(&self, words: &[String]) -> BTreeMap<String, Vec<u32>>;
    fn seen(&self, ids: HashSet<u128>, fixed: HashMap<u8, u8, Fixed>) -> Vec<i128>;
    fn each(&self, f: &mut dyn FnMut(&HashMap<String, u32>, BTreeSet<Duration>));
    fn open(&self, path: &Path, base: &std::path::Path) -> PathBuf;
    fn walk(&self, root: &Where, f: &dyn Fn(&Path, Option<&Path>, Vec<(&Path, u8)>) -> bool);
    fn watch(&self, folder: &Path, sink: Box<dyn Sink>);
}

type Where = Path;

// A type of one's own named `Path`, named by its module.
mod model {
    #[derive(dynplug::PluginType)]
    pub struct Path {
        pub parts: Vec<String>,
    }
}

#[dynplug::plugin_interface]
pub trait Routes {
    fn route(&self, from: &model::Path, to: crate::model::Path) -> Vec<model::Path>;
}

#[dynplug::plugin_interface]
pub trait Sink: Send + Sync {
    fn changed(&self, path: &Path, was: Option<PathBuf>);
}

fn main() {}
