/* A small C library for dynplug's tests: built into a shared library by
 * tests/build.rs and bound through a trait in tests/tests/c_geometry.rs. */
#ifndef DYNPLUG_GEOMETRY_H
#define DYNPLUG_GEOMETRY_H

typedef struct {
    double x, y;
} Vec2;

typedef struct {
    Vec2 min, max;
} Rect;

/* The library's version: 2. */
int geometry_version(void);

/* Length of `v`: a struct taken by value. */
double vec2_length(Vec2 v);

/* Multiplies `*v` by `k` in place: a struct taken by pointer. */
void vec2_scale(Vec2 *v, double k);

/* `a + b`: a struct returned by value (in registers on x86-64). */
Vec2 vec2_add(Vec2 a, Vec2 b);

/* The square of side `2 * half` around `center`: a larger struct returned
 * by value (through a hidden pointer on x86-64). */
Rect rect_around(Vec2 center, double half);

/* The area of `*r`, or -1 if `r` is NULL. */
double rect_area(const Rect *r);

/* `f(f(x, ctx), ctx)`: a callback with a context pointer. */
int apply_twice(int (*f)(int, void *), void *ctx, int x);

/* `f(x, ctx)`, or `fallback` when `f` is null: an optional callback. */
int apply_or(int (*f)(int, void *), void *ctx, int x, int fallback);

#endif
