#include <math.h>
#include <stddef.h>

#include "geometry.h"

int geometry_version(void) { return 2; }

double vec2_length(Vec2 v) { return sqrt(v.x * v.x + v.y * v.y); }

void vec2_scale(Vec2 *v, double k) {
    v->x *= k;
    v->y *= k;
}

Vec2 vec2_add(Vec2 a, Vec2 b) {
    Vec2 sum = {a.x + b.x, a.y + b.y};
    return sum;
}

Rect rect_around(Vec2 center, double half) {
    Rect r = {{center.x - half, center.y - half}, {center.x + half, center.y + half}};
    return r;
}

double rect_area(const Rect *r) {
    if (r == NULL) {
        return -1.0;
    }
    return (r->max.x - r->min.x) * (r->max.y - r->min.y);
}

int apply_twice(int (*f)(int, void *), void *ctx, int x) { return f(f(x, ctx), ctx); }

int apply_or(int (*f)(int, void *), void *ctx, int x, int fallback) {
    return f ? f(x, ctx) : fallback;
}
