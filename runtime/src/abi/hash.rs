//! Compile-time hashes of types and signatures.
//!
//! The hashes only need to be equal for equal signatures, in every build:
//! FNV-1a over fixed byte strings, combined in a fixed order.

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
pub const fn signature_hash(receiver: u8, links: u64, args: &[u64], ret: u64) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matters() {
        let a = fnv1a(b"i32");
        let b = fnv1a(b"u8");
        assert_ne!(mix(a, b), mix(b, a));
        assert_ne!(
            signature_hash(0, 0, &[a, b], 0),
            signature_hash(0, 0, &[b, a], 0)
        );
        assert_ne!(signature_hash(0, 0, &[a], 0), signature_hash(1, 0, &[a], 0));
        assert_ne!(signature_hash(0, 0, &[a], 0), signature_hash(0, 1, &[a], 0));
    }
}
