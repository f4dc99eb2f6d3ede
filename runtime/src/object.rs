//! Objects across the boundary (docs/ARCHITECTURE.md §9): a `Box<dyn I>`
//! that a plugin returns reaches the host as an ordinary `Box<dyn I>`.
//!
//! An object crosses as a [`RawObject`]: where it is (an [`Instance`], the
//! object's pointer in two words, so that any pointer fits) and the table of
//! functions through which it is called. `#[plugin_interface]` generates,
//! for any `T` that implements the trait, one such table: its length, the
//! object's destructor, the function that hands over a panic's message,
//! then one shim per method in the trait's order. A hidden provided method
//! of the trait, dispatched through the Rust vtable, makes the `RawObject`
//! of a boxed object with the table of its concrete type: so a call on the
//! receiving side is the table's function called directly, with no second
//! dispatch inside the plugin.
//!
//! The receiving side wraps a `RawObject` in the trait's generated proxy,
//! whose core ([`ObjectCore`]) also holds the library the object's code
//! lives in: an object keeps its library loaded for as long as it lives.
//! Which library that is, the lifting code does not know from the lowered
//! value; the call that returns objects says so ([`Owner`], handed to
//! `Abi::lift_ret_from`: directly to a returned `Box<dyn I>`, through a
//! thread-local ([`with_owner`]) to objects inside other types).
//!
//! What an object's table must agree on with the host's trait is checked at
//! load, for every interface the root interface reaches through its
//! methods' types ([`closure`], `crate::plugin`): never at a call.

use std::cell::Cell;
use std::ffi::c_void;
use std::marker::PhantomData;

use crate::call::{RetSlot, STATUS_CALLBACK_PANICKED, failed};
use crate::library::{Hold, Library};
use crate::meta::InterfaceDesc;

// The fixed entries of an object's table (`dynplug_rules::slot`), with
// their types:
// - `LEN`, the table's length in entries (an integer in a pointer);
// - `DROP`, the destructor: `unsafe extern "C" fn(Instance) -> RetSlot<u8>`.
// (A panic caught by the table's side waits in the host's relay:
// `crate::export::relay`.)
pub use dynplug_rules::slot::{OBJECT_DROP as DROP, OBJECT_FIXED as FIXED, OBJECT_LEN as LEN};

/// Where an object is: a thin pointer to it, one word, as the first
/// argument of each of its table's functions (so that the method's own
/// arguments stay in the registers they came in, as for a root instance).
/// A `dyn Trait` only ever holds sized types, so every object has a thin
/// pointer; one that does not is refused at compile time.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct Instance(*mut c_void);

impl Instance {
    /// Keeps `ptr`.
    #[inline(always)]
    pub fn new<T: ?Sized>(ptr: *mut T) -> Self {
        const {
            assert!(
                size_of::<*mut T>() == size_of::<*mut c_void>(),
                "dynplug: an object crosses the plugin boundary behind a thin pointer; \
                 this type is unsized"
            )
        };
        Instance(ptr.cast::<c_void>())
    }

    /// The pointer kept by [`new`](Instance::new).
    ///
    /// # Safety
    ///
    /// `self` must come from `Instance::new::<T>`, in this build.
    #[inline(always)]
    pub unsafe fn get<T: ?Sized>(self) -> *mut T {
        const {
            assert!(
                size_of::<*mut T>() == size_of::<*mut c_void>(),
                "dynplug: an object crosses the plugin boundary behind a thin pointer; \
                 this type is unsized"
            )
        };
        // SAFETY: `*mut T` is one word, as `new::<T>` checked; the word is
        // the pointer `new::<T>` kept.
        unsafe { std::mem::transmute_copy::<*mut c_void, *mut T>(&self.0) }
    }
}

/// A table of an object's functions: `N` is [`FIXED`] plus the number of
/// methods.
#[repr(transparent)]
pub struct ObjectTable<const N: usize>(pub [*const c_void; N]);

// SAFETY: the table holds code addresses and its length, and is never
// written after it is built (at compile time, relocated by the loader).
unsafe impl<const N: usize> Sync for ObjectTable<N> {}

impl<const N: usize> ObjectTable<N> {
    /// The table of an object with these fixed entries and methods.
    pub const fn new(drop: *const c_void, methods: [*const c_void; N]) -> Self {
        let mut table = methods;
        table[LEN] = std::ptr::without_provenance(N);
        table[DROP] = drop;
        ObjectTable(table)
    }
}

/// An object of interface `I` (`dyn Trait`) as it crosses the boundary.
/// Typed by its interface, so that the hidden method of one trait cannot be
/// made to hand over an object of another.
#[repr(C)]
pub struct RawObject<I: ?Sized> {
    table: *const *const c_void,
    instance: Instance,
    interface: PhantomData<fn() -> *const I>,
}

impl<I: ?Sized> Clone for RawObject<I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I: ?Sized> Copy for RawObject<I> {}

/// A boxed object of interface `I` made ready to cross, owned: what the
/// trait's hidden method returns. Neither `Copy` nor `Clone`, and made only
/// by `unsafe` code, so that an override of the hidden method (safe code)
/// can only hand over an object it owns, of the right trait, once. Dropped
/// unconverted, it drops the object.
pub struct OwnedObject<I: ?Sized>(RawObject<I>);

impl<I: ?Sized> OwnedObject<I> {
    /// The raw form of a boxed object, owned by the result: the receiver
    /// drops it through the table's destructor.
    ///
    /// # Safety
    ///
    /// `table` must be the table `#[plugin_interface]` generated for `T`
    /// and the trait of `I`.
    #[inline]
    pub unsafe fn from_box<T: ?Sized, const N: usize>(
        object: Box<T>,
        table: &'static ObjectTable<N>,
    ) -> OwnedObject<I> {
        crate::export::register_object_table(&table.0);
        OwnedObject(RawObject {
            instance: Instance::new(Box::into_raw(object)),
            table: table.0.as_ptr(),
            interface: PhantomData,
        })
    }

    /// Hands the object over to its raw form, which the receiver owns.
    #[inline]
    pub fn into_raw(self) -> RawObject<I> {
        std::mem::ManuallyDrop::new(self).0
    }
}

impl<I: ?Sized> Drop for OwnedObject<I> {
    fn drop(&mut self) {
        // SAFETY: the object is owned here and was never handed over; its
        // table's destructor drops it, once.
        drop(unsafe { ObjectCore::owned_by(self.0, "(unsent)", None) });
    }
}

/// An object of interface `I` lent for shared use while `'a` lasts: what
/// the trait's hidden `__dynplug_lend` returns. Made only by `unsafe` code,
/// so an override cannot lend what it does not hold for `'a`.
pub struct LentRef<'a, I: ?Sized>(RawObject<I>, PhantomData<&'a ()>);

/// An object of interface `I` lent for exclusive use while `'a` lasts: what
/// the trait's hidden `__dynplug_lend_mut` returns. A type of its own, so
/// that a shared lend cannot pass for an exclusive one.
pub struct LentMut<'a, I: ?Sized>(RawObject<I>, PhantomData<&'a mut ()>);

impl<'a, I: ?Sized> LentRef<'a, I> {
    /// Lends `object` through `table`.
    ///
    /// # Safety
    ///
    /// `table` must be the table `#[plugin_interface]` generated for `T`
    /// and the trait of `I`.
    #[inline]
    pub unsafe fn new<T: ?Sized, const N: usize>(
        object: &'a T,
        table: &'static ObjectTable<N>,
    ) -> Self {
        crate::export::register_object_table(&table.0);
        LentRef(
            RawObject {
                instance: Instance::new(std::ptr::from_ref(object).cast_mut()),
                table: table.0.as_ptr(),
                interface: PhantomData,
            },
            PhantomData,
        )
    }

    /// The raw form, to pass to a call that ends within `'a`.
    #[inline]
    pub fn raw(&self) -> RawObject<I> {
        self.0
    }
}

impl<'a, I: ?Sized> LentMut<'a, I> {
    /// Lends `object` through `table`, exclusively.
    ///
    /// # Safety
    ///
    /// As for [`LentRef::new`].
    #[inline]
    pub unsafe fn new<T: ?Sized, const N: usize>(
        object: &'a mut T,
        table: &'static ObjectTable<N>,
    ) -> Self {
        crate::export::register_object_table(&table.0);
        LentMut(
            RawObject {
                instance: Instance::new(std::ptr::from_mut(object)),
                table: table.0.as_ptr(),
                interface: PhantomData,
            },
            PhantomData,
        )
    }

    /// The raw form, to pass to a call that ends within `'a`.
    #[inline]
    pub fn raw(&self) -> RawObject<I> {
        self.0
    }
}

impl<I: ?Sized> RawObject<I> {
    /// Forgets the interface, for the core that holds it.
    fn erase(self) -> RawObject<()> {
        RawObject {
            instance: self.instance,
            table: self.table,
            interface: PhantomData,
        }
    }
}

/// The destructor of a boxed object's table.
///
/// # Safety
///
/// `instance` must come from [`OwnedObject::from_box`] of a `Box<T>`, and be
/// dropped once.
pub unsafe extern "C" fn drop_box<T: ?Sized>(instance: Instance) -> RetSlot<u8> {
    crate::export::call(|| {
        // SAFETY: the caller's promise: the instance is a `Box<T>`'s pointer
        // that nothing else owns.
        drop(unsafe { Box::from_raw(instance.get::<T>()) });
        0
    })
}

/// The table of functions `#[plugin_interface]` generated for objects of
/// type `T` seen as `Self` (`dyn Trait`): what `#[plugin_export]` takes its
/// root instance's method entries from, so that a plugin's root and its
/// objects are called through the same shims.
///
/// # Safety
///
/// `TABLE` must be the object table generated for `T` and `Self`'s trait:
/// its length, destructor and panic function, then one shim per method in
/// the trait's order, each taking a `*mut T` (as an [`Instance`]) first.
pub unsafe trait TableFor<T: ?Sized> {
    /// The table's entries.
    const TABLE: &'static [*const c_void];
}

/// The entry of method `name` (of interface `desc`) in an object table: what
/// a plugin's root table lists for that method. Compile time; a name that
/// is not the interface's gives null (the compiler refuses such an impl
/// anyway). `hint` is where the method usually is (its place in the impl,
/// which usually follows the trait): looked at first, so that an interface
/// of many methods does not cost a quadratic search.
pub const fn method_entry(
    table: &[*const c_void],
    desc: &InterfaceDesc,
    name: &str,
    hint: usize,
) -> *const c_void {
    if hint < desc.methods.len() && crate::meta::str_eq(desc.methods[hint].name, name) {
        return table[FIXED + hint];
    }
    let mut i = 0;
    while i < desc.methods.len() {
        if crate::meta::str_eq(desc.methods[i].name, name) {
            return table[FIXED + i];
        }
        i += 1;
    }
    std::ptr::null()
}

/// An interface whose objects can cross the boundary: `dyn Trait` for a
/// trait with `#[plugin_interface]`.
///
/// # Safety
///
/// `into_raw` must make the table of the object's own type, generated for
/// this trait, and `from_raw` must call the table it is given as that
/// trait's table.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a dynplug plugin interface: its objects cannot cross the plugin \
               boundary",
    label = "not a plugin interface",
    note = "add `#[dynplug::plugin_interface]` to the trait's definition"
)]
pub unsafe trait ObjectInterface: crate::plugin::Interface {
    /// The interface's name, as its description has it (and, unlike the
    /// description, free of the types of its methods: an object type's
    /// hash names the interface without a cycle through itself).
    const NAME: &'static str;

    /// The raw form of a boxed object (through the trait's hidden method).
    fn into_raw(object: Box<Self>) -> OwnedObject<Self>;

    /// The host's object for a raw one: the proxy is allocated, then `core`
    /// is called for its core (which then needs no copy kept on the stack
    /// in case the allocation unwinds).
    ///
    /// # Safety
    ///
    /// The core must hold an object whose table was made for this
    /// interface, by a side whose interface passed the load-time check.
    unsafe fn from_raw(core: impl FnOnce() -> ObjectCore) -> Box<Self>;

    /// A proxy of an object lent for a call: never dropped through its
    /// table, and derefs to the trait object.
    type Lent: std::ops::DerefMut<Target = Self>;

    /// The proxy of an object lent by the other side for the call in
    /// progress.
    ///
    /// # Safety
    ///
    /// `raw` must come from a lend on the other side (the trait's hidden
    /// `__dynplug_lend`, or `__dynplug_lend_mut` for exclusive use through
    /// the proxy), for the call in progress, and the proxy must not outlive
    /// that call.
    unsafe fn lent(raw: RawObject<Self>) -> Self::Lent;

    /// Whether any of this interface's methods mentions an object type:
    /// if not, it reaches no other interface, and a load walks nothing.
    const MENTIONS_OBJECTS: bool;

    /// Calls `visit` with every interface this one's methods mention.
    fn visit(visit: &mut dyn FnMut(Node));

    /// This interface as a node of the graph `closure` walks.
    const NODE: Node = Node {
        desc: Self::DESC,
        meta: Self::META,
        visit: Self::visit,
    };
}

/// An interface in the graph of the interfaces a root reaches.
#[derive(Clone, Copy)]
pub struct Node {
    /// Its description.
    pub desc: &'static InterfaceDesc,
    /// Its record.
    pub meta: &'static [u8],
    /// Calls its argument with every interface its methods mention.
    pub visit: fn(&mut dyn FnMut(Node)),
}

/// Every interface `root` reaches through its methods' types, `root`
/// excluded, each once, in the order first met. Two interfaces are the same
/// if they have the same name and record; two different traits of one name
/// (`audio::Codec`, `video::Codec`) both appear, and the load refuses them
/// (`crate::plugin`): records are told apart by name.
pub fn closure(root: Node) -> Vec<Node> {
    let mut seen: Vec<Node> = vec![root];
    let mut next = 0;
    while next < seen.len() {
        let node = seen[next];
        next += 1;
        (node.visit)(&mut |found: Node| {
            if !seen
                .iter()
                .any(|n| n.desc.name == found.desc.name && n.meta == found.meta)
            {
                seen.push(found);
            }
        });
    }
    seen.remove(0);
    seen
}

/// The library whose code returned a value being lifted (none: this side's
/// own code): what the objects in the value keep loaded. Opaque outside
/// the runtime.
#[derive(Clone, Copy)]
pub struct Owner<'a>(OwnerRef<'a>);

#[derive(Clone, Copy)]
enum OwnerRef<'a> {
    /// This side's own code.
    Here,
    /// A loader's library.
    Library(&'a Library),
    /// What an object holds of its library.
    Hold(&'a Hold),
}

impl<'a> Owner<'a> {
    /// A loader's library.
    pub(crate) fn library(lib: &'a Library) -> Self {
        Owner(OwnerRef::Library(lib))
    }

    /// What a new object of this owner holds (none: this side's code).
    #[inline]
    fn hold(self) -> Option<Hold> {
        match self.0 {
            OwnerRef::Here => None,
            OwnerRef::Library(lib) => Some(lib.hold()),
            OwnerRef::Hold(hold) => Some(hold.clone()),
        }
    }
}

thread_local! {
    /// The library whose objects are being lifted on this thread (set by
    /// [`with_owner`] around a lift); this side's own code outside.
    static OWNER: Cell<Owner<'static>> = const { Cell::new(Owner(OwnerRef::Here)) };
}

/// Runs `lift` with `owner` as the library of the objects it lifts (the
/// objects inside another type: `Option<Box<dyn I>>`, `Vec<Box<dyn I>>`...).
#[inline]
pub(crate) fn with_owner<R>(owner: Owner<'_>, lift: impl FnOnce() -> R) -> R {
    struct Restore(Owner<'static>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OWNER.with(|o| o.set(self.0));
        }
    }
    // SAFETY: only the lifetime changes. The value is read only by
    // `current_owner`, inside `lift`, while `owner`'s borrow lasts; the
    // previous value is put back when `lift` returns or unwinds.
    let owner = unsafe { std::mem::transmute::<Owner<'_>, Owner<'static>>(owner) };
    let _restore = Restore(OWNER.with(|o| o.replace(owner)));
    lift()
}

/// What the objects being lifted hold of their library, if any.
fn current_owner() -> Option<Hold> {
    OWNER.with(Cell::get).hold()
}

/// The part of every object proxy that is not the trait's: the object, its
/// table, and the library its code lives in.
pub struct ObjectCore {
    raw: RawObject<()>,
    owner: Option<Hold>,
    interface: &'static str,
    /// Lent for a call by the other side, which owns the object: dropping
    /// the core leaves it alone (and releases only the library handle).
    lent: bool,
}

impl ObjectCore {
    /// Takes ownership of `raw`, whose code lives in the library whose call
    /// is being finished (none: the host's own code).
    ///
    /// # Safety
    ///
    /// `raw` must be an object lowered for interface `interface`, owned by
    /// nothing else.
    pub unsafe fn new<I: ?Sized>(raw: RawObject<I>, interface: &'static str) -> Self {
        let owner = current_owner().or_else(|| Library::owning(raw.table.addr()));
        // SAFETY: the caller's promise.
        unsafe { Self::owned_by(raw, interface, owner) }
    }

    /// As [`new`](ObjectCore::new), returned by a call to `owner`'s side.
    ///
    /// # Safety
    ///
    /// As for `new`.
    #[inline(always)]
    unsafe fn returned<I: ?Sized>(
        raw: RawObject<I>,
        interface: &'static str,
        owner: Owner<'_>,
    ) -> Self {
        let owner = match owner.0 {
            OwnerRef::Here => Library::owning(raw.table.addr()),
            _ => owner.hold(),
        };
        // SAFETY: the caller's promise.
        unsafe { Self::owned_by(raw, interface, owner) }
    }

    /// The core of an object the other side lent for the call in progress:
    /// its code is the other side's, alive during the call; dropping the
    /// core leaves the object to its owner.
    ///
    /// # Safety
    ///
    /// `raw` must be lent for the call in progress, for interface
    /// `interface`; the core must not outlive the call.
    pub unsafe fn lent<I: ?Sized>(raw: RawObject<I>, interface: &'static str) -> Self {
        // The objects its methods return keep its library (if it is a
        // plugin's object lent to the host).
        let owner = Library::owning(raw.table.addr());
        // SAFETY: the caller's promise.
        let mut core = unsafe { Self::owned_by(raw, interface, owner) };
        core.lent = true;
        core
    }

    /// As [`new`](ObjectCore::new), with the library given.
    ///
    /// # Safety
    ///
    /// As for `new`; `owner` must hold the object's code, if it is not this
    /// side's.
    unsafe fn owned_by<I: ?Sized>(
        raw: RawObject<I>,
        interface: &'static str,
        owner: Option<Hold>,
    ) -> Self {
        ObjectCore {
            raw: raw.erase(),
            owner,
            interface,
            lent: false,
        }
    }

    /// The instance, to pass to a method's shim.
    #[inline(always)]
    pub fn instance(&self) -> Instance {
        self.raw.instance
    }

    /// The shim of the required method `index`.
    #[inline(always)]
    pub fn required(&self, index: usize) -> crate::shim::Shim {
        // SAFETY: the load-time check made sure that the object's side has
        // every required method of the host's, at the host's index, so its
        // table holds at least `FIXED + index + 1` entries.
        crate::shim::Shim(unsafe { *self.raw.table.add(FIXED + index) })
    }

    /// The shim of the optional method `index`, if the object's side has it.
    #[inline(always)]
    pub fn optional(&self, index: usize) -> Option<crate::shim::Shim> {
        // SAFETY: every table starts with its length.
        let len = unsafe { *self.raw.table.add(LEN) }.addr();
        // SAFETY: within that length, and the check at load made sure that a
        // method the object's side has is at the host's index.
        (FIXED + index < len)
            .then(|| crate::shim::Shim(unsafe { *self.raw.table.add(FIXED + index) }))
    }

    fn panic_text(&self, what: &str) -> String {
        // Called right after the object's side reported a panic on this
        // thread: the relay holds its text.
        let (text, _) = crate::export::take_panic();
        panic_report(
            self.owner.as_ref().map(Hold::path),
            &format!("{what} of an object"),
            &text,
        )
    }
}

/// Raises the panic the object's side reported for `method` of
/// `interface`. Without the object: a proxy's call then keeps nothing of
/// it across the call (docs/ARCHITECTURE.md §9); the library that caught
/// the panic is found from the address the relay keeps with it.
#[cold]
#[inline(never)]
fn object_call_failed(interface: &'static str, method: &'static str, status: u8) -> ! {
    raise_failed(status, |text, origin| {
        let owner = Library::owning(origin);
        panic_report(
            owner.as_ref().map(Hold::path),
            &format!("method `{interface}::{method}` of an object"),
            text,
        )
    })
}

/// Raises the panic the other side reported for a call that returned
/// `status`: a callback's of this side again, as it was; else the panic
/// `report` makes of the text and origin the relay hands over.
#[cold]
pub(crate) fn raise_failed(status: u8, report: impl FnOnce(&str, usize) -> String) -> ! {
    if status == STATUS_CALLBACK_PANICKED {
        if let Some(payload) = crate::callback::take_host_panic() {
            std::panic::resume_unwind(payload);
        }
    }
    let (text, origin) = crate::export::take_panic();
    std::panic::panic_any(report(&text, origin))
}

/// The text of a panic the other side reported in `what`: its `text` as
/// `take_panic` hands it over (location, NUL, message), said by the
/// library at `plugin`, or by the host when `None`.
pub(crate) fn panic_report(plugin: Option<&std::path::Path>, what: &str, text: &str) -> String {
    let (location, message) = crate::export::split_panic_text(text);
    let at = if location.is_empty() {
        String::new()
    } else {
        format!(" at {location}")
    };
    match plugin {
        Some(path) => {
            let file = path.file_name().unwrap_or(path.as_os_str());
            format!(
                "plugin `{}` panicked in {what}{at}: {message}",
                file.to_string_lossy()
            )
        }
        None => format!("the host panicked in {what}{at}: {message}"),
    }
}

impl CallCore for ObjectCore {
    #[inline(always)]
    fn owner(&self) -> Owner<'_> {
        match &self.owner {
            Some(hold) => Owner(OwnerRef::Hold(hold)),
            None => Owner(OwnerRef::Here),
        }
    }

    // Inlined, and the object not used: see `object_call_failed`.
    #[inline(always)]
    fn call_failed(&self, interface: &'static str, method: &'static str, status: u8) -> ! {
        object_call_failed(interface, method, status)
    }
}

/// What a loader's core and an object proxy's core both do when a call
/// returns: the one [`finish`] of generated code works on either.
pub trait CallCore {
    /// The library of this core's calls: what the objects they return keep
    /// loaded.
    fn owner(&self) -> Owner<'_>;

    /// Raises the panic the other side reported for `method` of
    /// `interface` (a call that returned `status`): a callback's of this
    /// side again, as it was; else one naming the library, the interface
    /// and the method.
    fn call_failed(&self, interface: &'static str, method: &'static str, status: u8) -> !;
}

/// Finishes a call of `method` on `core`'s instance or object: lifts the
/// value with `lift`, or when it holds `objects` with `lift_from` given
/// `core`'s library (which the objects keep), or re-raises the other side's
/// panic in this thread.
///
/// The return type's parts come as values, not as a bound `T: Abi`: a type
/// that cannot cross is then reported once, on the type, where the caller
/// names them, not a second time on a bound of this function. What the
/// value borrows, the caller checks: `ProbeAbi::returns_for`.
///
/// # Safety
///
/// `ret` must be what the shim of `method`, returning `T`, returned, and
/// `objects`, `lift` and `lift_from` be `T`'s
/// [`Abi::OBJECTS`](crate::abi::Abi::OBJECTS),
/// [`Abi::lift_ret`](crate::abi::Abi::lift_ret) and `Abi::lift_ret_from`.
#[inline(always)]
pub unsafe fn finish<C: CallCore, R, T>(
    core: &C,
    interface: &'static str,
    method: &'static str,
    ret: RetSlot<R>,
    objects: bool,
    lift: unsafe fn(R) -> T,
    lift_from: unsafe fn(R, Owner<'_>) -> T,
) -> T {
    if failed(ret.status) {
        core.call_failed(interface, method, ret.status);
    }
    // SAFETY: status OK means the value is set, and the caller promises it
    // is `T`'s lowered return value, and `lift` and `lift_from` `T`'s.
    unsafe {
        let value = ret.value.assume_init();
        if objects {
            lift_from(value, core.owner())
        } else {
            lift(value)
        }
    }
}

impl Drop for ObjectCore {
    // Small enough to inline into the proxy's drop: the report of a panic
    // is out of line.
    #[inline]
    fn drop(&mut self) {
        if self.lent {
            return;
        }
        // SAFETY: every table has its destructor at DROP; the core owns the
        // object and drops it here, once.
        let ret = unsafe {
            let drop_fn: unsafe extern "C" fn(Instance) -> RetSlot<u8> =
                std::mem::transmute::<*const c_void, _>(*self.raw.table.add(DROP));
            drop_fn(self.raw.instance)
        };
        if failed(ret.status) {
            self.destructor_panicked();
        }
    }
}

impl ObjectCore {
    /// Reports the panic the other side caught in the object's destructor:
    /// raised, or printed if this thread is already unwinding.
    #[cold]
    #[inline(never)]
    fn destructor_panicked(&self) {
        let text = self.panic_text(&format!("the destructor of its `{}`", self.interface));
        if std::thread::panicking() {
            eprintln!("{text}");
        } else {
            std::panic::panic_any(text);
        }
    }
}

impl std::fmt::Debug for ObjectCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Object");
        d.field("interface", &self.interface);
        if let Some(hold) = &self.owner {
            d.field("path", &hold.path());
        }
        d.finish_non_exhaustive()
    }
}

// SAFETY: as `PluginCore`'s: the core hands out the instance only to the
// generated proxy, whose marker field follows the trait's `Send`/`Sync`
// supertraits, which the object's own type has too.
unsafe impl Send for ObjectCore {}
// SAFETY: as above.
unsafe impl Sync for ObjectCore {}

/// `Boxed` of `dyn I` (so `Abi` of `Box<dyn I>`), `ReturnAbi` and `Owned`
/// of `Box<dyn I>` for an interface `I`, made by `#[plugin_interface]` for
/// its trait (whose crate may: `dyn I` is its type, and `Box` is
/// fundamental). Not one impl for every `I: ObjectInterface`: that would
/// overlap the one for a plain value (`T: Abi`), which a type implementing
/// both traits could match.
#[doc(hidden)]
#[macro_export]
macro_rules! __object_abi {
    ($object:ty) => {
        // SAFETY: a `RawObject` is plain data; `lift_ret` takes ownership
        // of exactly what `lower_ret` gave up. An object argument
        // (`Box<dyn I>`, `&dyn I`, `&mut dyn I`) is lowered by the
        // generated code itself, which moves or lends it; inside another
        // type it is refused at compile time (`OBJECTS`, checked by the
        // generated code): `lower_arg` and `lift_arg` are never reached,
        // and panic if they are.
        #[automatically_derived]
        unsafe impl $crate::__private::Boxed for $object {
            type BoxArg = $crate::__private::RawObject<$object>;
            type BoxKeep = ();
            type BoxRet = $crate::__private::RawObject<$object>;
            const BOX_TYPE_HASH: u64 = $crate::__private::boxed_object::type_hash::<$object>();
            const BOX_OBJECTS: bool = true;

            fn box_visit(visit: &mut dyn FnMut($crate::__private::ObjectNode)) {
                visit(<$object as $crate::__private::ObjectInterface>::NODE);
            }
            fn box_lower_arg(_: &$object) -> (Self::BoxArg, ()) {
                $crate::__private::boxed_object::not_inside()
            }
            unsafe fn box_lift_arg(_: Self::BoxArg) -> ::std::boxed::Box<$object> {
                $crate::__private::boxed_object::not_inside()
            }
            #[inline]
            fn box_lower_ret(object: ::std::boxed::Box<$object>) -> Self::BoxRet {
                $crate::__private::boxed_object::lower_ret(object)
            }
            #[inline]
            unsafe fn box_lift_ret(ret: Self::BoxRet) -> ::std::boxed::Box<$object> {
                // SAFETY: the caller's promise.
                unsafe { $crate::__private::boxed_object::lift_ret(ret) }
            }
            #[inline(always)]
            unsafe fn box_lift_ret_from(
                ret: Self::BoxRet,
                owner: $crate::__private::ObjectOwner<'_>,
            ) -> ::std::boxed::Box<$object> {
                // SAFETY: the caller's promise.
                unsafe { $crate::__private::boxed_object::lift_ret_from(ret, owner) }
            }
        }

        // SAFETY: an object borrows nothing of the call: it keeps its
        // library loaded itself (`ObjectCore`).
        #[automatically_derived]
        unsafe impl<'s> $crate::__private::ReturnAbi<'s> for ::std::boxed::Box<$object> {}

        // SAFETY: as above: an object owns what it holds.
        #[automatically_derived]
        unsafe impl $crate::__private::Owned for ::std::boxed::Box<$object> {}
    };
}

/// What `__object_abi!` calls: `Abi` of `Box<I>` for an interface `I`.
#[doc(hidden)]
pub mod boxed_object {
    use super::{ObjectCore, ObjectInterface, Owner, RawObject};

    /// `Abi::TYPE_HASH` of `Box<I>`.
    pub const fn type_hash<I: ?Sized + ObjectInterface>() -> u64 {
        crate::abi::hash::object(crate::abi::hash::Object::Boxed, I::NAME)
    }

    /// `lower_arg` and `lift_arg`, which the generated code never calls.
    #[cold]
    pub fn not_inside() -> ! {
        panic!("dynplug: an object crosses as an argument only as itself, not inside another type")
    }

    /// `Abi::lower_ret`: the object handed over.
    #[inline]
    pub fn lower_ret<I: ?Sized + ObjectInterface>(object: Box<I>) -> RawObject<I> {
        I::into_raw(object).into_raw()
    }

    /// `Abi::lift_ret`.
    ///
    /// # Safety
    ///
    /// `ret` is what `lower_ret` made, for this interface, handed over
    /// once.
    #[inline]
    pub unsafe fn lift_ret<I: ?Sized + ObjectInterface>(ret: RawObject<I>) -> Box<I> {
        // SAFETY: the caller's promise.
        unsafe { I::from_raw(|| ObjectCore::new(ret, I::NAME)) }
    }

    /// `Abi::lift_ret_from`: inlined into the call that returned the
    /// object, whose library is at hand there, so the lift is no call of
    /// its own.
    ///
    /// # Safety
    ///
    /// As for [`lift_ret`]; `owner` is the library of the call.
    #[inline(always)]
    pub unsafe fn lift_ret_from<I: ?Sized + ObjectInterface>(
        ret: RawObject<I>,
        owner: Owner<'_>,
    ) -> Box<I> {
        // SAFETY: the caller's promise.
        unsafe { I::from_raw(|| ObjectCore::returned(ret, I::NAME, owner)) }
    }
}

/// Where a plugin's root table says which records of the interfaces its
/// root reaches it was built with: the `index`-th, or an empty one past the
/// last.
#[repr(C)]
pub struct RecordRef {
    /// The record's first byte.
    pub ptr: *const u8,
    /// Its length; 0 past the last.
    pub len: usize,
}

impl RecordRef {
    /// A record of the plugin's own, which lives as long as the plugin.
    pub const fn of(record: &'static [u8]) -> RecordRef {
        RecordRef {
            ptr: record.as_ptr(),
            len: record.len(),
        }
    }
}

/// The function at a root table's `NESTED` entry, for interface `I`.
pub extern "C" fn nested_record<I: ?Sized + ObjectInterface>(index: usize) -> RecordRef {
    // Walking the graph allocates and could, in theory, fail; nothing of
    // it may unwind into the host.
    let found = std::panic::catch_unwind(|| closure(I::NODE).get(index).map(|n| n.meta));
    match found {
        Ok(Some(meta)) => RecordRef {
            ptr: meta.as_ptr(),
            len: meta.len(),
        },
        _ => RecordRef {
            ptr: std::ptr::null(),
            len: 0,
        },
    }
}
