//! Compile-time hashes of types and signatures, which a host compares with
//! a plugin's at load.
//!
//! A hash only needs to be equal for equal signatures in every build:
//! FNV-1a over fixed byte strings, combined in a fixed order. A type's hash
//! is its constructor's tag combined with the hashes of what it holds; the
//! constructors both the macros and the runtime name are the functions
//! below, so neither writes a tag of its own for them.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a of `bytes`.
pub const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = FNV_OFFSET;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    hash
}

/// Combines two hashes, order-sensitively.
pub const fn mix(a: u64, b: u64) -> u64 {
    let mut hash = a;
    let mut i = 0;
    while i < 8 {
        hash ^= (b >> (i * 8)) & 0xff;
        hash = hash.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    hash
}

/// The hash of a method signature: its receiver (`&self` is 0, `&mut self`
/// is 1), which arguments a returned borrow may borrow from (a bit mask),
/// the type hash of each argument in order, and the return type's.
pub const fn signature(receiver: u8, links: u64, args: &[u64], ret: u64) -> u64 {
    let mut hash = mix(fnv1a(b"fn"), receiver as u64);
    hash = mix(hash, links);
    hash = mix(hash, args.len() as u64);
    let mut i = 0;
    while i < args.len() {
        hash = mix(hash, args[i]);
        i += 1;
    }
    mix(hash, ret)
}

/// `&T` (an argument lent for the call), from `T`'s hash.
pub const fn reference(inner: u64) -> u64 {
    mix(fnv1a(b"&"), inner)
}

/// `&mut T` (copied in, written back), from `T`'s hash.
pub const fn mut_reference(inner: u64) -> u64 {
    mix(fnv1a(b"&mut"), inner)
}

/// `&[T]`, from `T`'s hash.
pub const fn slice(inner: u64) -> u64 {
    mix(fnv1a(b"&[]"), inner)
}

/// `&mut [T]` (lent in place), from `T`'s hash.
pub const fn mut_slice(inner: u64) -> u64 {
    mix(fnv1a(b"&mut []"), inner)
}

/// `Vec<T>`, from `T`'s hash.
pub const fn vec(inner: u64) -> u64 {
    mix(fnv1a(b"Vec"), inner)
}

/// `Option<T>`, from `T`'s hash (a callback's too).
pub const fn option(inner: u64) -> u64 {
    mix(fnv1a(b"Option"), inner)
}

/// `Result<T, E>`, from `T`'s and `E`'s hashes.
pub const fn result(ok: u64, err: u64) -> u64 {
    mix(mix(fnv1a(b"Result"), ok), err)
}

/// How an object crosses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Object {
    /// `&dyn I`, lent for the call.
    Lent,
    /// `&mut dyn I`, lent exclusively for the call.
    LentMut,
    /// `Box<dyn I>`, handed over.
    Boxed,
}

/// An object of the interface named `interface`: by its name, which the
/// load compares record by record (the interface's methods are checked
/// there, not hashed here, so that a cycle of interfaces has a hash).
pub const fn object(how: Object, interface: &str) -> u64 {
    let tag: &[u8] = match how {
        Object::Lent => b"&dyn",
        Object::LentMut => b"&mut dyn",
        Object::Boxed => b"Box<dyn>",
    };
    mix(fnv1a(tag), fnv1a(interface.as_bytes()))
}

/// A callback (`&dyn Fn`, or `&mut dyn FnMut` when `mutable`), from the
/// hash of the tuple of its inputs and of its output.
pub const fn callback(mutable: bool, inputs: u64, output: u64) -> u64 {
    let tag: &[u8] = if mutable {
        b"&mut dyn FnMut"
    } else {
        b"&dyn Fn"
    };
    mix(mix(fnv1a(tag), inputs), output)
}

/// A map (`name`: `HashMap` or `BTreeMap`), from its key's and value's
/// hashes. It crosses as its entries, but a host and a plugin must agree on
/// which map it is.
pub const fn map(name: &[u8], key: u64, value: u64) -> u64 {
    mix(mix(fnv1a(name), key), value)
}

/// A set (`name`: `HashSet` or `BTreeSet`), from its element's hash.
pub const fn set(name: &[u8], element: u64) -> u64 {
    mix(fnv1a(name), element)
}

/// An array `[T; len]`, from its element's hash and its length.
pub const fn array(element: u64, len: usize) -> u64 {
    mix(mix(fnv1a(b"array"), element), len as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matters() {
        let a = fnv1a(b"i32");
        let b = fnv1a(b"u8");
        assert_ne!(mix(a, b), mix(b, a));
        assert_ne!(signature(0, 0, &[a, b], 0), signature(0, 0, &[b, a], 0));
        assert_ne!(result(a, b), result(b, a));
    }

    #[test]
    fn constructors_differ() {
        let t = fnv1a(b"u8");
        let all = [
            reference(t),
            mut_reference(t),
            slice(t),
            mut_slice(t),
            vec(t),
            option(t),
            object(Object::Lent, "u8"),
            object(Object::LentMut, "u8"),
            object(Object::Boxed, "u8"),
            callback(false, t, t),
            callback(true, t, t),
            map(b"HashMap", t, t),
            map(b"BTreeMap", t, t),
            set(b"HashSet", t),
            set(b"BTreeSet", t),
            vec(mix(fnv1a(b"RawTuple2"), t)),
            array(t, 2),
            array(t, 3),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    /// The hashes are part of the ABI: they must not change by accident.
    #[test]
    fn hashes_are_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
