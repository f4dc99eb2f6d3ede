//! `u128`, `i128` and `Duration`: plain values that cross as `#[repr(C)]`
//! pairs of words. A 128-bit integer has no C type that every compiler
//! passes the same way (Rust's own alignment of it changed in 1.77), and C
//! has no `Duration`; two words pass as C passes a struct of two, in every
//! build.

use std::time::Duration;

use super::{Abi, fnv1a};

/// A 128-bit integer as two words, low first.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawU128 {
    lo: u64,
    hi: u64,
}

impl RawU128 {
    #[inline(always)]
    fn of(value: u128) -> Self {
        RawU128 {
            lo: value as u64,
            hi: (value >> 64) as u64,
        }
    }

    #[inline(always)]
    fn get(self) -> u128 {
        (u128::from(self.hi) << 64) | u128::from(self.lo)
    }
}

/// A `Duration` as whole seconds and nanoseconds (below a billion).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawDuration {
    secs: u64,
    nanos: u32,
}

/// `Abi` for a plain value that crosses as `$raw`, made by `$lower` and
/// read back by `$lift` (both total: every lowered value lifts).
macro_rules! plain {
    ($ty:ty, $raw:ty, $name:literal, $lower:expr, $lift:expr) => {
        // SAFETY: a plain value, lowered to a `#[repr(C)]` struct of words
        // and lifted back from exactly what the lowering makes.
        unsafe impl Abi for $ty {
            type Arg = $raw;
            type Keep = ();
            type Ret = $raw;
            const TYPE_HASH: u64 = fnv1a($name);
            const OBJECTS: bool = false;

            fn visit_interfaces(_: &mut dyn FnMut(crate::object::Node)) {}

            #[inline(always)]
            fn lower_arg(&self) -> ($raw, ()) {
                (($lower)(*self), ())
            }
            #[inline(always)]
            unsafe fn lift_arg(arg: $raw) -> $ty {
                ($lift)(arg)
            }
            #[inline(always)]
            fn lower_ret(self) -> $raw {
                ($lower)(self)
            }
            #[inline(always)]
            unsafe fn lift_ret(ret: $raw) -> $ty {
                ($lift)(ret)
            }
        }
    };
}

plain!(u128, RawU128, b"u128", RawU128::of, RawU128::get);
plain!(
    i128,
    RawU128,
    b"i128",
    |v: i128| RawU128::of(v as u128),
    |raw: RawU128| raw.get() as i128
);
plain!(
    Duration,
    RawDuration,
    b"Duration",
    |d: Duration| RawDuration {
        secs: d.as_secs(),
        nanos: d.subsec_nanos(),
    },
    // Below a billion nanoseconds, as lowered: `new` carries nothing
    // over, so it cannot overflow.
    |raw: RawDuration| Duration::new(raw.secs, raw.nanos)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_values_lift_as_they_were_lowered() {
        for v in [
            0,
            1,
            u64::MAX as u128,
            1 << 64,
            u128::MAX,
            0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
        ] {
            // SAFETY: lifted from its own lowering, once.
            assert_eq!(unsafe { u128::lift_ret(v.lower_ret()) }, v);
        }
        for v in [0, -1, i128::MIN, i128::MAX, i64::MIN as i128 - 1] {
            // SAFETY: as above.
            assert_eq!(unsafe { i128::lift_ret(v.lower_ret()) }, v);
        }
        for d in [
            Duration::ZERO,
            Duration::MAX,
            Duration::new(0, 999_999_999),
            Duration::from_nanos(1),
        ] {
            // SAFETY: as above.
            assert_eq!(unsafe { Duration::lift_arg(d.lower_arg().0) }, d);
        }
    }
}
