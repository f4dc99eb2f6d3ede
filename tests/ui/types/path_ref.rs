// `&Path` crosses only as an argument (of a method or a callback): one
// error for each other use, saying what to write instead.
use std::path::Path;

#[dynplug::plugin_interface]
pub trait Files {
    fn open(&self, path: &Path) -> bool;
    fn root(&self) -> &Path;
    fn all(&self, paths: Vec<&Path>);
    fn owned(&self, path: Box<Path>);
    fn keep(&self, path: &'static Path);
}

fn main() {}
