/* seg_ring.c - the SPSC ring (see seg_ring.h).
 *
 * Layout and orderings follow rigtorp/SPSCQueue and DPDK's rte_ring: each
 * index sits on its own 64-byte line together with the owner's cached copy of
 * the other side's index, so in the common case (neither full nor empty) a
 * push or pop touches only its own line and the slot. The remote index is
 * re-read, with acquire, only when the cached copy says full or empty.
 *
 * Synchronizes-with pairs (release store -> acquire load of the same index):
 *   R1 (push: head store)  -> A2 (pop/peek: head load)
 *        the slot written before R1 is visible to the consumer after A2.
 *   R2 (release: tail store) -> A1 (push: tail load)
 *        the consumer's read of the slot finished before R2, so after A1 the
 *        producer may overwrite it (ck_ring's "license to overwrite").
 * Plain acquire/release on the atomics rather than standalone fences, so
 * ThreadSanitizer understands them.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "seg_ring.h"

#define CACHE_LINE 64

struct seg_ring {
    /* Producer's line. */
    _Alignas(CACHE_LINE) atomic_size_t head; /* next slot to write; only the producer stores */
    size_t tail_cache;                       /* producer's last view of tail */
    /* Consumer's line. */
    _Alignas(CACHE_LINE) atomic_size_t tail; /* next slot to read; only the consumer stores */
    size_t head_cache;                       /* consumer's last view of head */
    /* Read-only after creation, shared by both. */
    _Alignas(CACHE_LINE) size_t mask;        /* capacity - 1 */
    void **slots;                            /* capacity pointers */
};

int seg_ring_create(seg_ring **out, size_t capacity)
{
    if (!out)
        return SEG_ERR_INVALID;
    *out = NULL;
    if (capacity == 0 || (capacity & (capacity - 1)) != 0 || capacity > SEG_RING_MAX_CAPACITY)
        return SEG_ERR_INVALID;
    /* sizeof is a multiple of the alignment, as aligned_alloc wants. */
    seg_ring *r = aligned_alloc(CACHE_LINE, sizeof(*r));
    if (!r)
        return SEG_ERR_NOMEM;
    memset(r, 0, sizeof(*r));
    r->slots = calloc(capacity, sizeof(void *));
    if (!r->slots) {
        free(r);
        return SEG_ERR_NOMEM;
    }
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->mask = capacity - 1;
    *out = r;
    return SEG_OK;
}

void seg_ring_destroy(seg_ring **pr)
{
    if (!pr || !*pr)
        return;
    free((*pr)->slots);
    free(*pr);
    *pr = NULL;
}

size_t seg_ring_capacity(const seg_ring *r)
{
    return r->mask + 1;
}

int seg_ring_try_push(seg_ring *r, void *item)
{
    /* Only this thread stores head: relaxed reads our own last store. */
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h - r->tail_cache > r->mask) {
        /* A1: pairs with R2 in seg_ring_release. */
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (h - r->tail_cache > r->mask)
            return SEG_ERR_AGAIN;
    }
    r->slots[h & r->mask] = item;
    /* R1: pairs with A2 in seg_ring_peek; publishes the slot. */
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return SEG_OK;
}

int seg_ring_peek(seg_ring *r, void **item)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t == r->head_cache) {
        /* A2: pairs with R1 in seg_ring_try_push. */
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (t == r->head_cache)
            return SEG_ERR_AGAIN;
    }
    *item = r->slots[t & r->mask];
    return SEG_OK;
}

void seg_ring_release(seg_ring *r)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    /* R2: pairs with A1 in seg_ring_try_push. The slot was read (peek)
     * before this store, so the producer may reuse it once it sees it. */
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
}

int seg_ring_try_pop(seg_ring *r, void **item)
{
    int st = seg_ring_peek(r, item);
    if (st == SEG_OK)
        seg_ring_release(r);
    return st;
}

size_t seg_ring_size(const seg_ring *r)
{
    /* Tail first: head only grows, so head - tail read in this order is
     * never "negative" (it may be stale, never out of range). */
    size_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t n = h - t;
    return n > r->mask + 1 ? r->mask + 1 : n;
}
