//! Maps and sets: `HashMap<K, V>`, `BTreeMap<K, V>`, `HashSet<T>` and
//! `BTreeSet<T>` cross as the sequence of their entries, as `Vec<(K, V)>`
//! and `Vec<T>` do, and the receiver builds its own collection from them:
//! each entry is lowered and lifted once, and a hash map's keys are hashed
//! again on the receiving side (with its own hasher, which need not be the
//! sender's). The kind of collection is part of the signature: a host's
//! `HashMap` and a plugin's `BTreeMap` are a mismatch.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};
use std::mem::ManuallyDrop;

use super::{
    Abi, CallbackArg, Lent, Owned, OwnedBuf, RawSlice, RawTuple2, ReturnAbi, hold_owned,
    lower_owned, view_owned,
};

/// A map's lowered entries, borrowed for a call.
type Pairs<K, V> = RawSlice<RawTuple2<<K as Abi>::Arg, <V as Abi>::Arg>>;
/// What the sender keeps for a map argument: the lowered entries and what
/// each key and value keeps.
type PairsKeep<K, V> = (
    Vec<RawTuple2<<K as Abi>::Arg, <V as Abi>::Arg>>,
    Vec<(<K as Abi>::Keep, <V as Abi>::Keep)>,
);
/// A map's lowered entries, handed over.
type OwnedPairs<K, V> = OwnedBuf<RawTuple2<<K as Abi>::Ret, <V as Abi>::Ret>>;

fn lower_pairs<'a, K: Abi + 'a, V: Abi + 'a>(
    entries: impl Iterator<Item = (&'a K, &'a V)>,
) -> (Pairs<K, V>, PairsKeep<K, V>) {
    let (raws, keeps): (Vec<_>, Vec<_>) = entries
        .map(|(k, v)| {
            let (k, k_keep) = k.lower_arg();
            let (v, v_keep) = v.lower_arg();
            (RawTuple2(k, v), (k_keep, v_keep))
        })
        .unzip();
    // The vector's buffer does not move with it into the keep.
    (RawSlice::new(&raws), (raws, keeps))
}

/// # Safety
///
/// `raw` must come from [`lower_pairs`] of `K` and `V`, kept alive.
unsafe fn lift_pairs<K: Abi, V: Abi, C: FromIterator<(K, V)>>(raw: Pairs<K, V>) -> C {
    // SAFETY: the caller keeps the lowered entries alive for the call.
    let entries = unsafe { raw.get() };
    entries
        .iter()
        // SAFETY: each key and value came from its `lower_arg`, kept alive,
        // and is lifted once.
        .map(|e| unsafe { (K::lift_arg(e.0), V::lift_arg(e.1)) })
        .collect()
}

fn lower_pairs_ret<K: Abi, V: Abi>(entries: impl Iterator<Item = (K, V)>) -> OwnedPairs<K, V> {
    OwnedBuf::new(
        entries
            .map(|(k, v)| RawTuple2(k.lower_ret(), v.lower_ret()))
            .collect(),
    )
}

/// # Safety
///
/// `ret` must come from [`lower_pairs_ret`] of `K` and `V`, lifted once.
unsafe fn lift_pairs_ret<K: Abi, V: Abi, C: FromIterator<(K, V)>>(ret: OwnedPairs<K, V>) -> C {
    // SAFETY: the caller's promise: taken once, each entry lifted once.
    // Lifted into a vector first, which runs no code of the user's: the
    // buffer is freed before the keys are hashed or compared, and a panic
    // there drops every entry.
    let entries: Vec<(K, V)> = unsafe {
        ret.take(|entries| {
            entries
                .iter()
                .map(|e| (K::lift_ret(e.0), V::lift_ret(e.1)))
                .collect()
        })
    };
    entries.into_iter().collect()
}

/// A set's lowered elements, and what the sender keeps for them.
type Elems<T> = RawSlice<<T as Abi>::Arg>;
type ElemsKeep<T> = (Vec<<T as Abi>::Arg>, Vec<<T as Abi>::Keep>);

fn lower_elems<'a, T: Abi + 'a>(elems: impl Iterator<Item = &'a T>) -> (Elems<T>, ElemsKeep<T>) {
    let (raws, keeps): (Vec<_>, Vec<_>) = elems.map(T::lower_arg).unzip();
    (RawSlice::new(&raws), (raws, keeps))
}

/// # Safety
///
/// `raw` must come from [`lower_elems`] of `T`, kept alive.
unsafe fn lift_elems<T: Abi, C: FromIterator<T>>(raw: Elems<T>) -> C {
    // SAFETY: the caller keeps the lowered elements alive for the call.
    let elems = unsafe { raw.get() };
    // SAFETY: each element came from `T::lower_arg`, kept alive, and is
    // lifted once.
    elems.iter().map(|e| unsafe { T::lift_arg(*e) }).collect()
}

fn lower_elems_ret<T: Abi>(elems: impl Iterator<Item = T>) -> OwnedBuf<T::Ret> {
    OwnedBuf::new(elems.map(T::lower_ret).collect())
}

/// # Safety
///
/// `ret` must come from [`lower_elems_ret`] of `T`, lifted once.
unsafe fn lift_elems_ret<T: Abi, C: FromIterator<T>>(ret: OwnedBuf<T::Ret>) -> C {
    // SAFETY: the caller's promise: taken once, each element lifted once.
    // Into a vector first, as for maps.
    let elems: Vec<T> =
        unsafe { ret.take(|elems| elems.iter().map(|e| T::lift_ret(*e)).collect()) };
    elems.into_iter().collect()
}

/// `Abi`, `Owned`, `ReturnAbi`, `CallbackArg` and `Lent` of a map type
/// `$map<K, V, ..>` whose keys are `K: $($key)+` and whose extra generic
/// parameters are `$($extra)*`.
macro_rules! map {
    ($map:ident, $name:literal, [$($key:tt)+], [$($extra:tt)*], [$($generics:tt)*]) => {
        // SAFETY: each entry's key and value are lowered and lifted by their
        // own `Abi`, once, through `lower_pairs` and its companions.
        unsafe impl<K: Abi + $($key)+, V: Abi $($extra)*> Abi for $map<K, V $($generics)*> {
            type Arg = Pairs<K, V>;
            type Keep = PairsKeep<K, V>;
            type Ret = OwnedPairs<K, V>;
            const TYPE_HASH: u64 = super::hash::map($name, K::TYPE_HASH, V::TYPE_HASH);
            const OBJECTS: bool = K::OBJECTS || V::OBJECTS;

            fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
                K::visit_interfaces(visit);
                V::visit_interfaces(visit);
            }

            #[inline]
            fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
                lower_pairs(self.iter())
            }
            #[inline]
            unsafe fn lift_arg(arg: Self::Arg) -> Self {
                // SAFETY: the caller's promise.
                unsafe { lift_pairs(arg) }
            }
            #[inline]
            fn lower_ret(self) -> Self::Ret {
                lower_pairs_ret(self.into_iter())
            }
            #[inline]
            unsafe fn lift_ret(ret: Self::Ret) -> Self {
                // SAFETY: the caller's promise.
                unsafe { lift_pairs_ret(ret) }
            }
        }

        // SAFETY: owns its keys and values, which own their data.
        unsafe impl<K: Owned + $($key)+, V: Owned $($extra)*> Owned for $map<K, V $($generics)*> {}

        // SAFETY: what the keys and values borrow follows `K` and `V`.
        unsafe impl<'s, K: ReturnAbi<'s> + $($key)+, V: ReturnAbi<'s> $($extra)*> ReturnAbi<'s>
            for $map<K, V $($generics)*>
        {
        }

        // SAFETY: lowered and lifted by `Abi`, as a method's owned argument;
        // the holder is a copy.
        unsafe impl<K: Owned + $($key)+, V: Owned $($extra)*> CallbackArg
            for $map<K, V $($generics)*>
        {
            type Raw = <Self as Abi>::Arg;
            type Keep = <Self as Abi>::Keep;
            type Holder = ManuallyDrop<Self>;
            const TYPE_HASH: u64 = <Self as Abi>::TYPE_HASH;
            const OBJECTS: bool = <Self as Abi>::OBJECTS;

            #[inline]
            fn lower(&self) -> (Self::Raw, Self::Keep) {
                lower_owned(self)
            }
            #[inline]
            unsafe fn hold(raw: Self::Raw) -> Self::Holder {
                // SAFETY: the caller's promise.
                unsafe { hold_owned(raw) }
            }
        }

        // SAFETY: an owned value borrows nothing.
        unsafe impl<'a, K: Owned + $($key)+, V: Owned $($extra)*> Lent<'a>
            for $map<K, V $($generics)*>
        {
            #[inline]
            unsafe fn view(holder: &'a mut Self::Holder) -> Self {
                // SAFETY: the caller views each holder once.
                unsafe { view_owned(holder) }
            }
        }
    };
}

/// As [`map!`], for a set type `$set<T, ..>`.
macro_rules! set {
    ($set:ident, $name:literal, [$($elem:tt)+], [$($extra:tt)*], [$($generics:tt)*]) => {
        // SAFETY: each element is lowered and lifted by its own `Abi`,
        // once, through `lower_elems` and its companions.
        unsafe impl<T: Abi + $($elem)+ $($extra)*> Abi for $set<T $($generics)*> {
            type Arg = Elems<T>;
            type Keep = ElemsKeep<T>;
            type Ret = OwnedBuf<T::Ret>;
            const TYPE_HASH: u64 = super::hash::set($name, T::TYPE_HASH);
            const OBJECTS: bool = T::OBJECTS;

            fn visit_interfaces(visit: &mut dyn FnMut(crate::object::Node)) {
                T::visit_interfaces(visit);
            }

            #[inline]
            fn lower_arg(&self) -> (Self::Arg, Self::Keep) {
                lower_elems(self.iter())
            }
            #[inline]
            unsafe fn lift_arg(arg: Self::Arg) -> Self {
                // SAFETY: the caller's promise.
                unsafe { lift_elems(arg) }
            }
            #[inline]
            fn lower_ret(self) -> Self::Ret {
                lower_elems_ret(self.into_iter())
            }
            #[inline]
            unsafe fn lift_ret(ret: Self::Ret) -> Self {
                // SAFETY: the caller's promise.
                unsafe { lift_elems_ret(ret) }
            }
        }

        // SAFETY: owns its elements, which own their data.
        unsafe impl<T: Owned + $($elem)+ $($extra)*> Owned for $set<T $($generics)*> {}

        // SAFETY: what the elements borrow follows `T`.
        unsafe impl<'s, T: ReturnAbi<'s> + $($elem)+ $($extra)*> ReturnAbi<'s>
            for $set<T $($generics)*>
        {
        }

        // SAFETY: lowered and lifted by `Abi`, as a method's owned argument;
        // the holder is a copy.
        unsafe impl<T: Owned + $($elem)+ $($extra)*> CallbackArg for $set<T $($generics)*> {
            type Raw = <Self as Abi>::Arg;
            type Keep = <Self as Abi>::Keep;
            type Holder = ManuallyDrop<Self>;
            const TYPE_HASH: u64 = <Self as Abi>::TYPE_HASH;
            const OBJECTS: bool = <Self as Abi>::OBJECTS;

            #[inline]
            fn lower(&self) -> (Self::Raw, Self::Keep) {
                lower_owned(self)
            }
            #[inline]
            unsafe fn hold(raw: Self::Raw) -> Self::Holder {
                // SAFETY: the caller's promise.
                unsafe { hold_owned(raw) }
            }
        }

        // SAFETY: an owned value borrows nothing.
        unsafe impl<'a, T: Owned + $($elem)+ $($extra)*> Lent<'a> for $set<T $($generics)*> {
            #[inline]
            unsafe fn view(holder: &'a mut Self::Holder) -> Self {
                // SAFETY: the caller views each holder once.
                unsafe { view_owned(holder) }
            }
        }
    };
}

map!(HashMap, b"HashMap", [Eq + Hash], [, S: BuildHasher + Default], [, S]);
map!(BTreeMap, b"BTreeMap", [Ord], [], []);
set!(HashSet, b"HashSet", [Eq + Hash], [, S: BuildHasher + Default], [, S]);
set!(BTreeSet, b"BTreeSet", [Ord], [], []);
