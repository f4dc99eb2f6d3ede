//! Hot reload: [`Hot`], a plugin whose file is watched, each new version
//! loaded through every check of `load` and put in service without a lock
//! on the call path. See docs/ARCHITECTURE.md, "Hot reload".

use std::ffi::OsString;
use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use crate::{Error, LoadOptions, Plugin};

mod shield;

/// The hand-over hook: the old version (still serving) and the new one
/// (not yet serving, so the hook has it alone).
type HandOver<P> =
    Box<dyn Fn(&P, &mut P) -> Result<(), Box<dyn std::error::Error + Send + Sync>> + Send + Sync>;

/// Where failures go.
type OnError = Box<dyn Fn(&Error) + Send + Sync>;
/// Where new generations are announced.
type OnReload = Box<dyn Fn(u64) + Send + Sync>;

/// How a [`Hot`] plugin loads, hands over and reports: built with chained
/// setters, given to [`Hot::watch_with`].
///
/// ```no_run
/// # #[dynplug::plugin_interface]
/// # pub trait Greeter: Send + Sync {
/// #     fn greet(&self, name: &str) -> String;
/// #     fn count(&self) -> u64;
/// #     fn set_count(&mut self, count: u64);
/// # }
/// use std::time::Duration;
/// let options = dynplug::HotOptions::<GreeterPlugin>::new()
///     .settle(Duration::from_millis(50))
///     // Move state from the old version to the new one before the swap.
///     .hand_over(|old, new| {
///         new.set_count(old.count());
///         Ok(())
///     })
///     .on_error(|err| eprintln!("plugin not reloaded: {err}"))
///     .on_reload(|generation| eprintln!("plugin version {generation} serving"));
/// let hot = dynplug::Hot::watch_with("plugins/libgreeter.so", options)?;
/// println!("{}", hot.get().greet("you"));
/// # Ok::<(), dynplug::Error>(())
/// ```
pub struct HotOptions<P> {
    load: LoadOptions,
    settle: Duration,
    watch: bool,
    hand_over: Option<HandOver<P>>,
    on_error: Option<OnError>,
    on_reload: Option<OnReload>,
}

impl<P> Default for HotOptions<P> {
    fn default() -> Self {
        HotOptions {
            load: LoadOptions::new(),
            settle: Duration::from_millis(100),
            watch: true,
            hand_over: None,
            on_error: None,
            on_reload: None,
        }
    }
}

impl<P> fmt::Debug for HotOptions<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HotOptions")
            .field("load", &self.load)
            .field("settle", &self.settle)
            .field("watch", &self.watch)
            .field("hand_over", &self.hand_over.is_some())
            .field("on_error", &self.on_error.is_some())
            .field("on_reload", &self.on_reload.is_some())
            .finish()
    }
}

impl<P> HotOptions<P> {
    /// The defaults: the file watched, writes settled for 100 ms, no
    /// hand-over hook, failures printed to standard error.
    pub fn new() -> Self {
        Self::default()
    }

    /// The options every version is loaded with (default
    /// `LoadOptions::new()`). Each version is loaded from a private copy of
    /// the file whatever these say
    /// ([`LoadOptions::load_from_copy`]), so that a build can write over
    /// the file while the old version runs. With
    /// [`unload_when_unused`](LoadOptions::unload_when_unused), an old
    /// version is unloaded once its last handle goes; without it, every
    /// version stays mapped (safe, but memory grows with each reload).
    pub fn load_options(mut self, options: LoadOptions) -> Self {
        self.load = options;
        self
    }

    /// How long a file written in place must stay untouched before it is
    /// loaded (default 100 ms). A file renamed into place, or closed by
    /// the program that wrote it (where the platform says so: Linux), is
    /// loaded at once. A new version that fails is reported only once its
    /// file has stayed untouched this long, so that a file still being
    /// written is not reported as broken.
    pub fn settle(mut self, settle: Duration) -> Self {
        self.settle = settle;
        self
    }

    /// Whether to watch the file (default `true`). Without watching, only
    /// [`Hot::reload`] looks at it.
    pub fn watch(mut self, watch: bool) -> Self {
        self.watch = watch;
        self
    }

    /// A hook that runs with the old version (still serving) and the new
    /// one (not yet serving) before the new one is put in service: the
    /// place to move state through the interface's own methods. If it
    /// returns an error or panics, the new version is dropped and the old
    /// one keeps serving ([`Error::HandOver`]). A [`Hot::reload`] of the
    /// same plugin from the hook returns [`Error::HandOver`] at once (the
    /// reload under way is not waited for: it is the hook's own).
    pub fn hand_over(
        mut self,
        hook: impl Fn(&P, &mut P) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.hand_over = Some(Box::new(hook));
        self
    }

    /// Where the watcher reports a new version that failed (the old one
    /// keeps serving) and a watch that broke. By default they are printed
    /// to standard error: a failed reload is never silent.
    /// ([`Hot::reload`] returns its error instead.) Runs on the watcher's
    /// thread.
    pub fn on_error(mut self, report: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Box::new(report));
        self
    }

    /// Called with the new generation each time a new version is put in
    /// service (by the watcher or by [`Hot::reload`]), on the thread that
    /// loaded it, once it serves (it may call [`Hot::reload`]). A panic
    /// of this callback or of [`on_error`](HotOptions::on_error) on the
    /// watcher's thread is caught there (the panic hook reports it) and
    /// the watch goes on; from [`Hot::reload`] it reaches its caller.
    pub fn on_reload(mut self, report: impl Fn(u64) + Send + Sync + 'static) -> Self {
        self.on_reload = Some(Box::new(report));
        self
    }
}

/// A plugin that is reloaded when its file changes.
///
/// [`watch`](Hot::watch) loads the plugin and watches its file. Each new
/// file at the path (renamed over it, or written in place and settled)
/// goes through every check of `load`, then the hand-over hook, and becomes
/// the current version; [`get`](Hot::get) returns it. Calls that started
/// on the old version finish on it, and the old version is dropped when
/// its last handle goes. A new version that fails (half-written, another
/// version of the interface, a panicking constructor, an untrusted
/// signature) is reported and the old one keeps serving.
///
/// `P` is a generated loader (`GreeterPlugin`) of a `Send + Sync`
/// interface: versions are loaded on the watcher's thread.
pub struct Hot<P: Plugin + Send + Sync + 'static> {
    shared: Arc<Shared<P>>,
    /// Dropping it stops the events, and so the watcher's thread.
    _watcher: Option<notify::RecommendedWatcher>,
}

/// One version of a hot plugin: the loader and its generation. Derefs to
/// the loader.
pub struct Version<P> {
    plugin: P,
    generation: u64,
    /// The file as it was when this version was loaded from it.
    stamp: Option<crate::os::FileStamp>,
}

impl<P> Version<P> {
    /// Which version this is: 1 for the first loaded, one more for each
    /// one put in service after it.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl<P> Deref for Version<P> {
    type Target = P;
    fn deref(&self) -> &P {
        &self.plugin
    }
}

impl<P: fmt::Debug> fmt::Debug for Version<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Version")
            .field("generation", &self.generation)
            .field("plugin", &self.plugin)
            .finish()
    }
}

/// The version of a [`Hot`] plugin that was current when [`Hot::get`]
/// was called, kept alive while this lives. Derefs to the loader.
///
/// Cheap: no lock and no reference count. The thread writes the version's
/// address in a slot of its own, which a reload reads before it drops an
/// old version (ARCHITECTURE.md, "Hot reload"). So a `Current` stays on
/// the thread that got it (it is neither `Send` nor `Sync`) and borrows its
/// `Hot`; it is meant for a call or a few. A thread holds up to four at a
/// time this way; more are counted references. To keep a version for long
/// or send it to another thread, take [`Hot::version`].
pub struct Current<'h, P>(shield::Guard<'h, Version<P>>);

impl<P> Current<'_, P> {
    /// The generation of this version.
    pub fn generation(&self) -> u64 {
        self.0.generation
    }
}

impl<P> Deref for Current<'_, P> {
    type Target = P;
    #[inline]
    fn deref(&self) -> &P {
        &self.0.plugin
    }
}

impl<P: fmt::Debug> fmt::Debug for Current<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// A caller's own handle on a [`Hot`] plugin, for the hottest loops (an
/// audio callback, a frame loop): [`get`](HotCache::get) checks whether a
/// new version was put in service (one load of a pointer) and otherwise
/// hands back the version it holds. Made by [`Hot::cache`]; one per thread
/// or per caller (it is `Send`, and `get` takes `&mut self`).
///
/// It holds the version it last handed out until its next `get` (or its
/// drop): an old version lives while a cache that has not looked again
/// holds it.
pub struct HotCache<P> {
    shared: Arc<Shared<P>>,
    held: Arc<Version<P>>,
}

impl<P> HotCache<P> {
    /// The current version: the one held if no other was put in service
    /// since, else the new one (then held instead).
    #[inline]
    pub fn get(&mut self) -> &Version<P> {
        // The held version cannot be dropped, so its address cannot be
        // another's: equal addresses are the same version.
        if !self.shared.current.holds(&self.held) {
            self.renew();
        }
        &self.held
    }

    #[cold]
    fn renew(&mut self) {
        self.held = self.shared.current.counted();
    }
}

impl<P> fmt::Debug for HotCache<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HotCache")
            .field("generation", &self.held.generation)
            .finish_non_exhaustive()
    }
}

struct Shared<P> {
    path: PathBuf,
    load: LoadOptions,
    settle: Duration,
    /// The version in service, and those retired while a `Current` held
    /// them.
    current: shield::Shielded<Version<P>>,
    /// Held while a new version is loaded and swapped in: one at a time.
    reloading: Mutex<()>,
    hand_over: Option<HandOver<P>>,
    on_error: Option<OnError>,
    on_reload: Option<OnReload>,
}

/// Locks `mutex`, whose data stays whole whatever panicked while it was
/// held (a version is pushed or a vector swapped, nothing half-done).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<P: Plugin + Send + Sync + 'static> Hot<P> {
    /// Loads the plugin at `path` and watches its file, with the default
    /// [`HotOptions`].
    ///
    /// # Errors
    ///
    /// The first load's [`Error`], or [`Error::Watch`] if the file's
    /// folder cannot be watched.
    pub fn watch(path: impl AsRef<Path>) -> Result<Hot<P>, Error> {
        Self::watch_with(path, HotOptions::new())
    }

    /// Loads the plugin at `path` and watches its file, as `options` say.
    ///
    /// # Errors
    ///
    /// As for [`watch`](Hot::watch).
    pub fn watch_with(path: impl AsRef<Path>, options: HotOptions<P>) -> Result<Hot<P>, Error> {
        let path = path.as_ref().to_path_buf();
        let load = options.load.clone().load_from_copy(true);
        // Watched before the first load, so that no change in between is
        // missed (an event for the file loaded first finds it unchanged).
        let events = match options.watch {
            true => Some(watch_folder(&path)?),
            false => None,
        };
        let stamp = crate::os::file_stamp(&path);
        let plugin = P::load_with(&path, &load)?;
        let shared = Arc::new(Shared {
            current: shield::Shielded::new(Version {
                plugin,
                generation: 1,
                stamp,
            }),
            path,
            load,
            settle: options.settle,
            reloading: Mutex::new(()),
            hand_over: options.hand_over,
            on_error: options.on_error,
            on_reload: options.on_reload,
        });
        let watcher = match events {
            Some((watcher, events)) => {
                let watched = Watched::of(&shared.path);
                let weak = Arc::downgrade(&shared);
                std::thread::Builder::new()
                    .name("dynplug-hot".to_owned())
                    .spawn(move || follow(&events, &weak, &watched))
                    .map_err(|err| Error::Watch {
                        path: shared.path.clone(),
                        reason: format!("no thread to follow it: {err}"),
                    })?;
                Some(watcher)
            }
            None => None,
        };
        Ok(Hot {
            shared,
            _watcher: watcher,
        })
    }

    /// The current version, for a call or a few: no lock is taken and no
    /// count, and the version stays alive while the handle lives, whatever
    /// reloads meanwhile. See [`Current`].
    #[inline]
    pub fn get(&self) -> Current<'_, P> {
        Current(self.shared.current.get())
    }

    /// A handle of this caller's own on the plugin, whose `get` is cheaper
    /// still than [`get`](Hot::get): see [`HotCache`].
    pub fn cache(&self) -> HotCache<P> {
        HotCache {
            held: self.shared.current.counted(),
            shared: self.shared.clone(),
        }
    }

    /// The current version as a counted handle, to keep for long or send
    /// to another thread.
    pub fn version(&self) -> Arc<Version<P>> {
        self.shared.current.counted()
    }

    /// How many versions have been put in service: 1 after the first load.
    pub fn generation(&self) -> u64 {
        self.get().generation()
    }

    /// The watched path.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Looks at the file now: if it changed since the current version was
    /// loaded, loads it, runs the hand-over hook and puts it in service.
    /// `Ok(true)` if a new version now serves, `Ok(false)` if the file had
    /// not changed.
    ///
    /// # Errors
    ///
    /// The new version's [`Error`] (its load's, or [`Error::HandOver`]);
    /// the old version keeps serving. (Returned, not passed to
    /// [`on_error`](HotOptions::on_error).)
    pub fn reload(&self) -> Result<bool, Error> {
        self.shared.reload()
    }
}

impl<P: Plugin + Send + Sync + 'static> fmt::Debug for Hot<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hot")
            .field("path", &self.shared.path)
            .field("generation", &self.generation())
            .field("watched", &self._watcher.is_some())
            .finish()
    }
}

thread_local! {
    /// The plugins (their `Shared`'s address) being reloaded on this
    /// thread: a hand-over hook (or a plugin's constructor, through a
    /// callback) that calls `reload` of its own plugin would otherwise wait
    /// for ever on the `reloading` lock its own thread holds.
    static RELOADING: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// This thread's mark that it is reloading one plugin, taken off when
/// dropped (a panic included).
struct Reloading(usize);

impl Reloading {
    /// Marks `shared` as being reloaded on this thread, unless it already is.
    fn enter<P>(shared: &Shared<P>) -> Option<Reloading> {
        let at = std::ptr::from_ref(shared) as usize;
        RELOADING.with_borrow_mut(|on| match on.contains(&at) {
            true => None,
            false => {
                on.push(at);
                Some(Reloading(at))
            }
        })
    }
}

impl Drop for Reloading {
    fn drop(&mut self) {
        RELOADING.with_borrow_mut(|on| on.retain(|&at| at != self.0));
    }
}

impl<P: Plugin> Shared<P> {
    fn reload(&self) -> Result<bool, Error> {
        let Some(mark) = Reloading::enter(self) else {
            return Err(Error::HandOver {
                path: self.path.clone(),
                reason: "called `Hot::reload` of the plugin it is handing over (or a load of \
                         it did), which cannot reload again before it returns"
                    .to_owned(),
            });
        };
        let generation = self.swap_in_new()?;
        // Outside the lock and the mark: the report may look at the plugin
        // again, and reload it.
        drop(mark);
        if let Some(generation) = generation {
            if let Some(report) = &self.on_reload {
                report(generation);
            }
        }
        Ok(generation.is_some())
    }

    /// Loads the file if it changed, hands over and swaps: the new
    /// generation, or `None` if the file had not changed.
    fn swap_in_new(&self) -> Result<Option<u64>, Error> {
        let _one_at_a_time = lock(&self.reloading);
        let old = self.current.counted();
        // Read before the load: if the file changes during it, the next
        // look sees another stamp and loads again.
        let stamp = crate::os::file_stamp(&self.path);
        if stamp.is_some() && stamp == old.stamp {
            return Ok(None);
        }
        let mut new = P::load_with(&self.path, &self.load)?;
        if let Some(hook) = &self.hand_over {
            let refused = |reason: String| Error::HandOver {
                path: self.path.clone(),
                reason,
            };
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&old, &mut new))) {
                Ok(Ok(())) => {}
                Ok(Err(err)) => return Err(refused(format!("returned an error: {err}"))),
                Err(panic) => {
                    let message = crate::export::panic_message(&*panic);
                    return Err(refused(format!("panicked: {message}")));
                }
            }
        }
        let generation = old.generation + 1;
        self.current.swap(Version {
            plugin: new,
            generation,
            stamp,
        });
        // This thread's handle of the old version goes; the version itself
        // goes with the last handle (calls still running on it).
        drop(old);
        Ok(Some(generation))
    }

    /// Passes `err` to `on_error` (on the watcher's thread). A panic of
    /// the callback, which the panic hook has told, is caught: the watch
    /// goes on.
    fn report(&self, err: &Error) {
        match &self.on_error {
            Some(report) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| report(err)));
            }
            None => eprintln!("dynplug: hot reload: {err}"),
        }
    }
}

/// What the watcher's thread receives.
type Events = mpsc::Receiver<notify::Result<notify::Event>>;

/// Watches the folder of `path` (a file renamed over the path is another
/// file: watching the file itself would lose it).
fn watch_folder(path: &Path) -> Result<(notify::RecommendedWatcher, Events), Error> {
    use notify::Watcher;
    let failed = |err: notify::Error| Error::Watch {
        path: path.to_path_buf(),
        reason: err.to_string(),
    };
    let (send, events) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        // The receiver is gone only when the thread ended (its `Hot` went).
        let _ = send.send(event);
    })
    .map_err(failed)?;
    watcher
        .watch(&folder_of(path), notify::RecursiveMode::NonRecursive)
        .map_err(failed)?;
    Ok((watcher, events))
}

/// The folder the file at `path` is in, as watched.
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// What the watcher's thread looks for in the events: the file's name, and
/// its folder, named as the watcher names it in events about the folder
/// itself (made absolute from the current folder, as `notify` does).
struct Watched {
    name: OsString,
    folder: PathBuf,
}

impl Watched {
    fn of(path: &Path) -> Watched {
        let folder = folder_of(path);
        Watched {
            name: path.file_name().unwrap_or_default().to_owned(),
            folder: match std::env::current_dir() {
                Ok(current) if folder.is_relative() => current.join(folder),
                _ => folder,
            },
        }
    }
}

/// How long to wait after an event about the file for more before looking
/// at it: `None` for events that do not change it.
fn wait_after(event: &notify::Result<notify::Event>, watched: &Watched, settle: Duration) -> Wait {
    use notify::EventKind;
    use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
    let event = match event {
        Ok(event) => event,
        Err(err) => return Wait::Broken(err.to_string()),
    };
    // Events were lost (the system's queue overflowed): the file's among
    // them, maybe.
    if event.need_rescan() {
        return Wait::For(settle);
    }
    // The folder itself removed or moved away: nothing more will be heard
    // about the file.
    if event.paths.contains(&watched.folder)
        && matches!(
            event.kind,
            EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From))
        )
    {
        return Wait::Gone;
    }
    if !event
        .paths
        .iter()
        .any(|p| p.file_name() == Some(watched.name.as_os_str()))
    {
        return Wait::Ignore;
    }
    // Whole at once: renamed into place, or closed by its writer.
    const WHOLE: Duration = Duration::from_millis(2);
    match event.kind {
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) => Wait::Ignore,
        EventKind::Modify(ModifyKind::Name(_)) => Wait::For(WHOLE),
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => Wait::For(WHOLE),
        EventKind::Access(_) | EventKind::Remove(_) => Wait::Ignore,
        // A link (whole) or a new file about to be written: if writes
        // follow, their events set the wait.
        EventKind::Create(_) => Wait::For(WHOLE),
        EventKind::Modify(_) | EventKind::Any | EventKind::Other => Wait::For(settle),
    }
}

enum Wait {
    Ignore,
    For(Duration),
    Broken(String),
    /// The folder was removed or moved: the watch is over.
    Gone,
}

/// The watcher's thread: each burst of events about the file, once it has
/// settled, is one look at the file. Ends when the `Hot` goes, or when the
/// folder does (which is reported).
fn follow<P: Plugin>(events: &Events, shared: &Weak<Shared<P>>, watched: &Watched) {
    let Some(settle) = shared.upgrade().map(|s| s.settle) else {
        return;
    };
    let mut next = None;
    loop {
        let event = match next.take() {
            Some(event) => event,
            None => match events.recv() {
                Ok(event) => event,
                Err(_) => return,
            },
        };
        let mut wait = match wait_after(&event, watched, settle) {
            Wait::Ignore => continue,
            Wait::For(wait) => wait,
            Wait::Broken(reason) => {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                shared.report(&Error::Watch {
                    path: shared.path.clone(),
                    reason,
                });
                continue;
            }
            Wait::Gone => return lost(shared, watched),
        };
        // Until the file has been left alone for `wait`.
        loop {
            match events.recv_timeout(wait) {
                Ok(event) => match wait_after(&event, watched, settle) {
                    Wait::For(longer) => wait = longer,
                    Wait::Gone => return lost(shared, watched),
                    Wait::Ignore | Wait::Broken(_) => {}
                },
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        // A panic can only come from the host's `on_reload` (once the new
        // version serves) or `on_error`; the panic hook has told it, and
        // the watch goes on.
        let mut busy_looks = 0;
        loop {
            let reloaded =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| shared.reload()));
            if let Ok(Err(err)) = reloaded {
                // Reported once the file has stayed untouched for `settle`:
                // a file still being written is not broken.
                match quiet(events, watched, settle) {
                    // Held by another program for a moment (Windows: a
                    // build's rename, an antivirus scan): looked at again,
                    // for a while, before it is reported.
                    Quiet::Yes if busy(&err) && busy_looks < BUSY_LOOKS => {
                        busy_looks += 1;
                        continue;
                    }
                    Quiet::Yes => shared.report(&err),
                    Quiet::No(event) => next = Some(event),
                    Quiet::Ended => return,
                }
            }
            break;
        }
    }
}

/// How many times a file that another program holds is looked at again,
/// `settle` apart, before the failure is reported.
const BUSY_LOOKS: u32 = 20;

/// Whether `err` says that another program holds the file for now: a
/// sharing or lock violation (Windows), which passes.
fn busy(err: &Error) -> bool {
    let Error::Open { source, .. } = err else {
        return false;
    };
    // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION.
    cfg!(windows)
        && source
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::raw_os_error)
            .is_some_and(|code| code == 32 || code == 33)
}

/// Reports that the folder went, so the file is no longer watched.
fn lost<P: Plugin>(shared: &Weak<Shared<P>>, watched: &Watched) {
    if let Some(shared) = shared.upgrade() {
        shared.report(&Error::Watch {
            path: shared.path.clone(),
            reason: format!(
                "its folder {} was removed or moved away: the file is no longer watched \
                 (`Hot::reload` still looks at it)",
                watched.folder.display()
            ),
        });
    }
}

enum Quiet {
    Yes,
    No(notify::Result<notify::Event>),
    Ended,
}

/// Whether no event changes the file (or removes its folder) for
/// `settle`; else the first that does.
fn quiet(events: &Events, watched: &Watched, settle: Duration) -> Quiet {
    let until = std::time::Instant::now() + settle;
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        match events.recv_timeout(left) {
            Ok(event) => {
                if let Wait::For(_) | Wait::Gone = wait_after(&event, watched, settle) {
                    return Quiet::No(event);
                }
            }
            Err(RecvTimeoutError::Timeout) => return Quiet::Yes,
            Err(RecvTimeoutError::Disconnected) => return Quiet::Ended,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use notify::event::{Event, EventKind, Flag, ModifyKind, RemoveKind, RenameMode};

    use super::{Wait, Watched, wait_after};

    const SETTLE: Duration = Duration::from_millis(100);

    /// A folder whose path is absolute on every platform.
    fn plugins() -> PathBuf {
        std::env::temp_dir().join("plugins")
    }

    fn watched() -> Watched {
        Watched::of(&plugins().join("libx.so"))
    }

    fn wait(event: Event) -> Wait {
        wait_after(&Ok(event), &watched(), SETTLE)
    }

    /// An overflowed queue names no file: the file's event may be among
    /// those lost, so the file is looked at once things settle.
    #[test]
    fn lost_events_make_a_look_at_the_file() {
        let overflow = Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert!(matches!(wait(overflow), Wait::For(SETTLE)));
    }

    #[test]
    fn the_folder_removed_or_moved_ends_the_watch() {
        let folder = plugins();
        let removed = Event::new(EventKind::Remove(RemoveKind::Folder)).add_path(folder.clone());
        assert!(matches!(wait(removed), Wait::Gone));
        let moved = Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::From)))
            .add_path(folder.clone());
        assert!(matches!(wait(moved), Wait::Gone));
        // Another folder in it, or a file with the name elsewhere: no.
        let other = Event::new(EventKind::Remove(RemoveKind::Folder)).add_path(folder.join("old"));
        assert!(matches!(wait(other), Wait::Ignore));
        // A relative path's folder is the current one, made absolute.
        let here = Watched::of(Path::new("libx.so"));
        assert_eq!(here.folder, std::env::current_dir().unwrap().join("."));
        assert_eq!(here.name, "libx.so");
    }
}
