//! Lowered enums, for `#[derive(PluginType)]`: a tag and a union of the
//! variants' lowered fields.

use std::fmt;

/// A lowered enum value: `tag` says which field of `payload` is set.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawEnum<U: Copy> {
    /// The variant's index, in declaration order.
    pub tag: u32,
    /// The variant's lowered fields.
    pub payload: U,
}

impl<U: Copy> fmt::Debug for RawEnum<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawEnum")
            .field("tag", &self.tag)
            .finish_non_exhaustive()
    }
}

macro_rules! unions {
    ($($name:ident($($t:ident $v:ident),+);)*) => {$(
        /// The lowered fields of an enum's variants; one is set.
        #[repr(C)]
        #[derive(Clone, Copy)]
        #[allow(missing_docs)]
        pub union $name<$($t: Copy),+> {
            $(pub $v: $t),+
        }
    )*};
}

unions! {
    RawUnion1(A v0);
    RawUnion2(A v0, B v1);
    RawUnion3(A v0, B v1, C v2);
    RawUnion4(A v0, B v1, C v2, D v3);
    RawUnion5(A v0, B v1, C v2, D v3, E v4);
    RawUnion6(A v0, B v1, C v2, D v3, E v4, F v5);
    RawUnion7(A v0, B v1, C v2, D v3, E v4, F v5, G v6);
    RawUnion8(A v0, B v1, C v2, D v3, E v4, F v5, G v6, H v7);
    RawUnion9(A v0, B v1, C v2, D v3, E v4, F v5, G v6, H v7, I v8);
    RawUnion10(A v0, B v1, C v2, D v3, E v4, F v5, G v6, H v7, I v8, J v9);
    RawUnion11(A v0, B v1, C v2, D v3, E v4, F v5, G v6, H v7, I v8, J v9, K v10);
    RawUnion12(A v0, B v1, C v2, D v3, E v4, F v5, G v6, H v7, I v8, J v9, K v10, L v11);
    RawUnion13(A v0, B v1, C v2, D v3, E v4, F v5, G v6, H v7, I v8, J v9, K v10, L v11, M v12);
    RawUnion14(A v0, B v1, C v2, D v3, E v4, F v5, G v6, H v7, I v8, J v9, K v10, L v11, M v12, N v13);
    RawUnion15(A v0, B v1, C v2, D v3, E v4, F v5, G v6, H v7, I v8, J v9, K v10, L v11, M v12, N v13, O v14);
    RawUnion16(A v0, B v1, C v2, D v3, E v4, F v5, G v6, H v7, I v8, J v9, K v10, L v11, M v12, N v13, O v14, P v15);
}

// The derive nests an enum's variants in unions of up to `limit::VARIANTS`
// members: one `RawUnionN` per count up to that.
const _: () = assert!(
    dynplug_rules::limit::VARIANTS == 16,
    "add the missing `RawUnionN`"
);
